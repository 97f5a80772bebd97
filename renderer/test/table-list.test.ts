import { describe, expect, test } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import TableList from '../src/components/TableList.svelte';
import { manyTables } from './support/dto.ts';
import { render } from './support/render.ts';
import { text } from './support/text.ts';

function renderList(n = 500) {
  let selected: ReadonlySet<string> = new Set();
  const opened: string[] = [];
  const tables = manyTables(n);
  const host = render(TableList, {
    tables, now: Date.now(), selected, height: 420,
    onSelectionChange: (next: Set<string>) => { selected = next; },
    onOpen: (t) => { opened.push(t.id); },
  });
  const grid = host.querySelector<HTMLElement>('[role="grid"]')!;
  const rowIds = (): string[] => [...host.querySelectorAll<HTMLElement>('[data-testid="table-row"]')].map((r) => r.dataset['table']!);
  return { host, grid, rowIds, opened, selected: () => selected };
}

const nextFrame = () => new Promise((r) => requestAnimationFrame(() => r(null)));

describe('table list', () => {
  test('500 tables: only a window of rows is in the DOM, and it follows the scroll', async () => {
    const { grid, rowIds } = renderList(500);
    await expect.element(page.getByTestId('table-count')).toMatchTextContent(text('500 of 500 tables'));
    const first = rowIds();
    expect(first.length).toBeGreaterThan(5);
    expect(first.length).toBeLessThan(40);
    expect(first[0]).toBe('crm.t000');
    expect(grid.getAttribute('aria-rowcount')).toBe('501');
    // The scroll height stands for all 500 rows.
    expect(grid.scrollHeight).toBeGreaterThan(500 * 30);

    grid.scrollTop = grid.scrollHeight;
    grid.dispatchEvent(new Event('scroll'));
    await nextFrame();
    await expect.poll(() => rowIds().at(-1)).toBe('crm.t499');
    expect(rowIds()).not.toContain('crm.t000');
    expect(rowIds().length).toBeLessThan(40);
    await expect.element(page.getByText('crm.t499', { exact: true })).toBeVisible();

    grid.scrollTop = 250 * 34;
    grid.dispatchEvent(new Event('scroll'));
    await expect.poll(() => rowIds()).toContain('crm.t250');
  });

  test('sorting by a column header flips direction and sets aria-sort', async () => {
    const { rowIds } = renderList(500);
    const rows = page.getByRole('button', { name: 'Rows' });
    await userEvent.click(rows);
    await expect.poll(() => rowIds()[0]).toBe('crm.t000');
    await userEvent.click(rows);
    await expect.poll(() => rowIds()[0]).toBe('crm.t499');
    await expect.element(page.getByRole('columnheader', { name: /Rows/ })).toHaveAttribute('aria-sort', 'descending');

    await userEvent.click(page.getByRole('button', { name: 'State' }));
    // Snapshotting tables (every 7th from 3) rank before OK ones.
    await expect.poll(() => rowIds().slice(0, 3)).toEqual(['crm.t003', 'crm.t010', 'crm.t017']);
  });

  test('filtering by text and by state narrows the list', async () => {
    const { rowIds } = renderList(500);
    await userEvent.fill(page.getByLabelText('Filter tables'), 't12');
    await expect.element(page.getByTestId('table-count')).toMatchTextContent(text('10 of 500 tables'));
    await expect.poll(() => rowIds()).toEqual([...Array.from({ length: 10 }, (_, i) => `crm.t12${i}`)]);
    await userEvent.fill(page.getByLabelText('Filter tables'), '');
    await userEvent.selectOptions(page.getByLabelText('Show tables in state'), 'snapshotting');
    await expect.element(page.getByTestId('table-count')).toMatchTextContent(text('71 of 500 tables'));
    await userEvent.fill(page.getByLabelText('Filter tables'), 'nothing-like-this');
    await expect.element(page.getByText('No tables match.')).toBeVisible();
  });

  test('keyboard: arrows move the active row, Space selects, End jumps to the last row, Enter opens', async () => {
    const { grid, opened, selected } = renderList(500);
    grid.focus();
    await userEvent.keyboard('{ArrowDown}{ArrowDown}');
    expect(grid.getAttribute('aria-activedescendant')).toBe('table-row-crm_t002');
    await userEvent.keyboard(' ');
    expect([...selected()]).toEqual(['crm.t002']);
    await userEvent.keyboard('{End}');
    await expect.poll(() => grid.getAttribute('aria-activedescendant')).toBe('table-row-crm_t499');
    await expect.element(page.getByText('crm.t499', { exact: true })).toBeInViewport();
    await userEvent.keyboard('{Enter}');
    expect(opened).toEqual(['crm.t499']);
  });
});
