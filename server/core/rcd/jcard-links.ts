/**
 * URIs nested in a jCard (RFC 7095) that name content a called party's device would fetch and render: the values
 * of its PHOTO, LOGO and SOUND properties (RFC 9796, in its guidance on jCard properties and multimedia data: photo,
 * logo, sound). RFC 9795 asks that such content be integrity protected like `icn` and `jcl`: an `rcdi` member
 * whose JSON pointer (RFC 6901) goes from the `rcd` claim through `jcd` (the inline card) or `jcl` (the card as
 * fetched) down to the URI string, e.g. `/jcd/1/2/3` for the value of the third property of an inline card.
 *
 * Only http(s) values count: a `data:` URI is inside the jCard and covered by the card's own digest, and `tel:`,
 * `mailto:`, `geo:` and the like fetch nothing.
 */

/** Properties whose URI value is content to render; a jCard `url` (a web site) is a link shown, not content. */
export const RENDERED_PROPERTIES: ReadonlySet<string> = new Set(['photo', 'logo', 'sound']);

/** The properties this signer digests: images, fetched with the `icn` media types (RFC 9796). */
export const DIGESTED_PROPERTIES: ReadonlySet<string> = new Set(['photo', 'logo']);

export interface JcardLink {
  /** RFC 6901 pointer from the `rcd` claim: `/jcd/1/<property>/<value>` or `/jcl/1/<property>/<value>`. */
  pointer: string;
  url: string;
  /** The jCard property name, lower case (`photo`, `logo`, `url`…). */
  property: string;
}

/**
 * Every http(s) value of a `uri`-typed property of a jCard, with its pointer under `base` (`/jcd` or `/jcl`). A
 * value that is not a jCard yields nothing (the caller checks the card's shape). RFC 7095 §3.3: a property is
 * `[name, params, type, value, value…]`, so values start at index 3.
 */
export function jcardLinks(card: unknown, base: '/jcd' | '/jcl'): JcardLink[] {
  if (!Array.isArray(card) || card[0] !== 'vcard' || !Array.isArray(card[1])) return [];
  const links: JcardLink[] = [];
  (card[1] as unknown[]).forEach((p, i) => {
    if (!Array.isArray(p) || typeof p[0] !== 'string' || typeof p[2] !== 'string' || p[2].toLowerCase() !== 'uri') return;
    for (let j = 3; j < p.length; j++) {
      const v: unknown = p[j];
      if (typeof v === 'string' && /^https?:/i.test(v)) links.push({ pointer: `${base}/1/${i}/${j}`, url: v, property: p[0].toLowerCase() });
    }
  });
  return links;
}

/** The links of a card whose content a device renders (photo, logo, sound): these need an `rcdi` member. */
export function renderedLinks(card: unknown, base: '/jcd' | '/jcl'): JcardLink[] {
  return jcardLinks(card, base).filter((l) => RENDERED_PROPERTIES.has(l.property));
}
