/**
 * Text from outside (logins, branch names, reasons quoting GitHub data, response headers)
 * made safe for one Markdown table cell: it can neither break the table nor inject markup.
 */
export function cell(text: string): string {
  return text.replace(/[|\\`*_<>[\]]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

/** The same for text shown inside a `code span`, where a backslash would print as itself. */
export function codeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/`/g, "'").replace(/\r?\n/g, ' ');
}
