/** Light / dark / follow-the-system theme, kept in localStorage and applied as `<html data-theme>`. */
export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'tenant-mirror.theme';
const ORDER: readonly ThemeChoice[] = ['system', 'light', 'dark'];

function read(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

export class ThemeStore {
  choice = $state<ThemeChoice>(read());

  constructor(private readonly root: HTMLElement = document.documentElement) {
    this.#apply();
  }

  /** Cycles system → light → dark. */
  cycle(): void {
    this.set(ORDER[(ORDER.indexOf(this.choice) + 1) % ORDER.length]!);
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    try { localStorage.setItem(KEY, choice); } catch { /* private mode: keep it for this session */ }
    this.#apply();
  }

  #apply(): void {
    if (this.choice === 'system') delete this.root.dataset['theme'];
    else this.root.dataset['theme'] = this.choice;
  }
}
