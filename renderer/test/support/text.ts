/** A "contains this text" matcher for `toMatchTextContent` (special characters escaped). */
export const text = (s: string): RegExp => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
