import { esc } from './escape.ts';
import { type Box, textWidth } from './lanes.ts';

/** A line of text in a drawing with the box it takes, so layouts can be checked for overlaps. */

export interface TextBox {
  text: string;
  box: Box;
  /** 'start', 'middle' or 'end', as SVG's text-anchor. */
  anchor: 'start' | 'middle' | 'end';
}

/** Height of a line of label text (px); its baseline sits 11 px below the box's top. */
export const BOX_H = 14;

/** A coordinate as written into SVG. */
export const f = (n: number): string => n.toFixed(1);

/** A text box whose baseline is `y`, placed by its anchor at `x`. */
export function textAt(text: string, x: number, y: number, anchor: TextBox['anchor']): TextBox {
  const width = textWidth(text);
  const left = anchor === 'start' ? x : anchor === 'middle' ? x - width / 2 : x - width;
  return { text, anchor, box: { x: left, y: y - 11, width, height: BOX_H } };
}

export function textSvg(t: TextBox, cls: string, extra = ''): string {
  const x =
    t.anchor === 'start'
      ? t.box.x
      : t.anchor === 'middle'
        ? t.box.x + t.box.width / 2
        : t.box.x + t.box.width;
  return `<text x="${f(x)}" y="${f(t.box.y + 11)}" text-anchor="${t.anchor}" class="${cls}"${extra}>${esc(t.text)}</text>`;
}
