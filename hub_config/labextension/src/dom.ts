/**
 * Building DOM from data: text only ever goes in through text nodes (never innerHTML), so payload
 * strings need no escaping.
 */
export type Child = Node | string | null | undefined | false;

export interface IAttrs {
  class?: string;
  title?: string;
  [attr: string]: string | number | boolean | undefined;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: IAttrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) {
      continue;
    }
    node.setAttribute(key === 'class' ? 'class' : key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

export function append(node: Element, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}
