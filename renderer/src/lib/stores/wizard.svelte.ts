/**
 * Setup wizard state. All input lives here, not in the step components, so going back and forth
 * between steps never loses what was typed.
 */
import type { Api, AppInfo, CheckReport, Result, TableChoice } from '../../../../preload/contract/api.ts';
import type { ErrorData } from '../../../../preload/contract/errors.ts';
import type { PublicSettings, SettingsWithSecretInputs } from '../../../../preload/contract/settings-public.ts';
import { transportError } from '../error-fixes.ts';
import {
  emptyReplicaForm, emptyTablesForm, emptyTenantForm, fieldForKey, formsFromSettings, replicaFromForm, tablesFromForm, tablePrefixOf, tenantFromForm,
} from '../wizard-form.ts';
import type { FieldErrors, ReplicaForm, TablesForm, TenantForm } from '../wizard-form.ts';
import { tuningForm, tuningFromForm } from '../tuning-form.ts';
import type { TuningForm } from '../tuning-form.ts';

export const STEPS = ['Tenant source', 'Replica', 'Tables', 'Provision', 'Done'] as const;
export type StepIndex = 0 | 1 | 2 | 3 | 4;

/** A request in flight or finished: its outcome is either a value or an error with a fix. */
export type Outcome<T> = { state: 'idle' } | { state: 'running' } | { state: 'done'; value: T } | { state: 'failed'; error: ErrorData };

export class WizardStore {
  step = $state<StepIndex>(0);
  tenant = $state<TenantForm>(emptyTenantForm());
  replica = $state<ReplicaForm>(emptyReplicaForm());
  tables = $state<TablesForm>(emptyTablesForm());
  /** Errors shown under fields: filled when the user tries to go on or test. */
  tenantErrors = $state<FieldErrors>({});
  replicaErrors = $state<FieldErrors>({});
  /** Tuning keys (the Settings page edits them; the wizard keeps them as stored). */
  tuning = $state<TuningForm>(tuningForm(null));
  tuningErrors = $state<FieldErrors>({});

  connectionTest = $state.raw<Outcome<CheckReport>>({ state: 'idle' });
  replicaTest = $state.raw<Outcome<CheckReport>>({ state: 'idle' });
  tableList = $state.raw<Outcome<TableChoice[]>>({ state: 'idle' });
  provision = $state.raw<Outcome<{ started: true }>>({ state: 'idle' });
  saved = $state.raw<Outcome<{ saved: true }>>({ state: 'idle' });
  autoStart = $state.raw<Outcome<{ enabled: boolean }>>({ state: 'idle' });

  /** Tuning keys of stored settings, kept as they are when the wizard re-saves. */
  #base: PublicSettings | null = null;
  /** The tenant the table list was loaded for, so it reloads only when the tenant changes. */
  #listedFor = '';

  constructor(private readonly api: Api, readonly info: AppInfo | null = null) {}

  /** Prefills from stored settings (editing an existing setup). */
  prefill(s: PublicSettings): void {
    this.#base = s;
    const f = formsFromSettings(s);
    this.tenant = f.tenant;
    this.replica = f.replica;
    this.tables = f.tables;
    this.tuning = tuningForm(s as unknown as Record<string, unknown>);
  }

  validateTenant(): boolean {
    const r = tenantFromForm(this.tenant);
    this.tenantErrors = r.ok ? {} : r.errors;
    return r.ok;
  }

  validateReplica(): boolean {
    const r = replicaFromForm(this.replica);
    this.replicaErrors = r.ok ? {} : r.errors;
    return r.ok;
  }

  /** Goes to the next step when the current one is valid; returns whether it moved. */
  next(): boolean {
    if (this.step === 0 && !this.validateTenant()) return false;
    if (this.step === 1 && !this.validateReplica()) return false;
    if (this.step < 4) this.step = (this.step + 1) as StepIndex;
    if (this.step === 2) void this.loadTables();
    return true;
  }

  back(): void {
    if (this.step > 0) this.step = (this.step - 1) as StepIndex;
  }

  /** Jumps to an earlier step (the step list), never past the current one. */
  goTo(i: StepIndex): void {
    if (i < this.step) this.step = i;
  }

  async testConnection(): Promise<void> {
    const t = tenantFromForm(this.tenant);
    this.tenantErrors = t.ok ? {} : t.errors;
    if (!t.ok) return;
    await this.#run((o) => { this.connectionTest = o; }, () => this.api.request('connection:test', { tenant: t.value }));
  }

  async testReplica(): Promise<void> {
    const r = replicaFromForm(this.replica);
    this.replicaErrors = r.ok ? {} : r.errors;
    if (!r.ok) return;
    await this.#run((o) => { this.replicaTest = o; },
      () => this.api.request('replica:test', { replica: r.value, tablePrefix: tablePrefixOf(this.replica) }));
  }

  async loadTables(force = false): Promise<void> {
    const t = tenantFromForm(this.tenant);
    if (!t.ok) return;
    const key = JSON.stringify(t.value);
    if (!force && key === this.#listedFor && this.tableList.state === 'done') return;
    this.#listedFor = key;
    await this.#run((o) => { this.tableList = o; }, () => this.api.request('tables:list', { tenant: t.value }));
  }

  /** Ticks or unticks one table: unticked tables go to the exclude list. */
  setIncluded(id: string, included: boolean): void {
    const rest = this.tables.exclude.filter((x) => x !== id);
    this.tables.exclude = included ? rest : [...rest, id];
  }

  /** The full settings input, or null when a step is invalid (then that step's errors are shown). */
  settings(): SettingsWithSecretInputs | null {
    const t = tenantFromForm(this.tenant);
    const r = replicaFromForm(this.replica);
    this.tenantErrors = t.ok ? {} : t.errors;
    this.replicaErrors = r.ok ? {} : r.errors;
    if (!t.ok) { this.step = 0; return null; }
    if (!r.ok) { this.step = 1; return null; }
    const tuning = tuningFromForm(this.tuning);
    this.tuningErrors = tuning.ok ? {} : tuning.errors;
    if (!tuning.ok) return null;
    const base = (this.#base ?? {}) as Partial<SettingsWithSecretInputs>;
    return {
      ...base,
      ...tuning.value,
      tenant: t.value,
      replica: r.value,
      tablePrefix: tablePrefixOf(this.replica),
      tables: tablesFromForm(this.tables),
    } as SettingsWithSecretInputs;
  }

  async startProvision(): Promise<void> {
    const s = this.settings();
    if (!s) return;
    await this.#run((o) => { this.provision = o; }, () => this.api.request('provision:start', s));
    if (this.provision.state === 'failed') this.#highlight(this.provision.error);
  }

  /** A settings error naming its key (`detail.key`) is shown on that field, and its step is opened. */
  #highlight(error: ErrorData): void {
    const key = error.detail?.['key'];
    if (error.code !== 'CONFIG_INVALID' || typeof key !== 'string') return;
    const at = fieldForKey(key, this.replica.kind);
    if (!at) return;
    const text = /password/.test(key) && /env/.test(error.message)
      ? 'this password cannot be stored here: name the environment variable that holds it'
      : error.message;
    if (at.form === 'tenant') { this.tenantErrors = { ...this.tenantErrors, [at.field]: text }; this.step = 0; }
    else { this.replicaErrors = { ...this.replicaErrors, [at.field]: text }; this.step = 1; }
  }

  async save(): Promise<void> {
    const s = this.settings();
    if (!s) return;
    await this.#run((o) => { this.saved = o; }, () => this.api.request('settings:save', s));
    if (this.saved.state === 'failed') this.#highlight(this.saved.error);
  }

  async setAutoStart(enabled: boolean): Promise<void> {
    await this.#run((o) => { this.autoStart = o; }, () => this.api.request('app:set-auto-start', { enabled }));
  }

  async #run<T>(set: (o: Outcome<T>) => void, call: () => Promise<Result<T>>): Promise<void> {
    set({ state: 'running' });
    try {
      const r = await call();
      set(r.ok ? { state: 'done', value: r.value } : { state: 'failed', error: r.error });
    } catch (e) {
      set({ state: 'failed', error: transportError(e) });
    }
  }
}
