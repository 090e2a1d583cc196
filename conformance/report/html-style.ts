/**
 * The HTML report's stylesheet (html.ts inlines it: the page loads nothing). Made to be read on a
 * laptop: one column at most 80rem wide, long words (URLs, digests, ids) broken anywhere rather
 * than widening the page, bodies and scripts wrapped with their line breaks kept (pre-wrap), a
 * visible focus ring for keyboard users, status colours that keep a 4.5:1 contrast with their text
 * (WCAG 2.2 SC 1.4.3). No `<` or `&` in here: the page stays well-formed XML.
 */
import { SUMMARY_ORDER } from './text.ts';

export const STYLE = `
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 80rem; padding: 1rem 2rem 4rem; color: #1d1d1f; background: #fff; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid #ddd; overflow-wrap: anywhere; }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; }
a { color: #1d4fa3; }
a:focus-visible, summary:focus-visible, input:focus-visible { outline: 3px solid #1d4fa3; outline-offset: 2px; }
[id] { scroll-margin-top: .75rem; }
li.result:target > details > summary, li.result:target > .head { background: #fff8c5; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; }
code { overflow-wrap: anywhere; }
dl.meta { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .1rem 1rem; margin: 0 0 1rem; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.verdict { font-size: 1.2rem; font-weight: 700; padding: .4rem .8rem; border-radius: 4px; display: inline-block; margin: 0; }
.v-pass { background: #e3f6e5; color: #11612a; }
.v-fail { background: #fde4e4; color: #9b1c1c; }
.v-error { background: #f3e5fa; color: #6b1d8f; }
.badge { display: inline-block; font: 600 .75rem/1.6 ui-monospace, monospace; padding: 0 .45rem; border-radius: 3px; min-width: 3.4rem; text-align: center; }
.b-pass { background: #e3f6e5; color: #11612a; }
.b-skip { background: #eceff3; color: #3f4854; }
.b-warn { background: #fff3d6; color: #6b4800; }
.b-fail { background: #fde4e4; color: #9b1c1c; }
.b-error { background: #f3e5fa; color: #6b1d8f; }
table.areas { border-collapse: collapse; margin: .5rem 0 1rem; font-variant-numeric: tabular-nums; }
table.areas caption { text-align: left; font-weight: 600; padding-bottom: .3rem; }
table.areas th, table.areas td { border: 1px solid #ddd; padding: .2rem .7rem; text-align: right; }
table.areas th[scope="row"], table.areas thead th:first-child { text-align: left; }
table.areas thead th { background: #f6f8fa; }
table.areas tfoot { font-weight: 700; }
table.areas td.zero { color: #8a9099; }
table.areas td.has-fail, table.areas td.has-error { background: #fde4e4; font-weight: 700; }
table.areas td.has-warn { background: #fff3d6; }
.problems ol { padding-left: 1.5rem; margin: 0; }
.problems li { margin: .35rem 0; overflow-wrap: anywhere; }
.problems .gist { display: block; color: #3f4854; font-size: .9rem; }
.problems .none { color: #11612a; font-weight: 600; }
fieldset.filter { border: 1px solid #ddd; border-radius: 4px; display: inline-flex; flex-wrap: wrap; gap: 1rem; margin: 1rem 0 0; }
ol.results { list-style: none; padding: 0; margin: 0; }
li.result { border-bottom: 1px solid #eee; padding: .35rem 0; min-width: 0; }
.head > * + * { margin-left: .5rem; }
.level { font-weight: 600; font-size: .8rem; }
.spec, .ms { color: #5f6670; font-size: .85rem; }
.title { overflow-wrap: anywhere; }
summary { cursor: pointer; overflow-wrap: anywhere; }
li.s-fail > details { border-left: 4px solid #c62828; padding-left: .6rem; }
li.s-error > details { border-left: 4px solid #7b2fa3; padding-left: .6rem; }
li.s-warn > details { border-left: 4px solid #c98a00; padding-left: .6rem; }
.body { margin: .3rem 0 .6rem 1.2rem; min-width: 0; }
.message { margin: .2rem 0 .2rem 4rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.body .message { margin-left: 0; }
details.passes { margin: .5rem 0; }
details.passes > summary { color: #11612a; font-weight: 600; }
pre { background: #f6f8fa; padding: .5rem; margin: .3rem 0; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 30rem; overflow-y: auto; }
details.exchange { border: 1px solid #e3e6ea; border-radius: 4px; padding: .2rem .5rem; margin: .3rem 0; }
details.exchange > summary { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; }
details.exchange.failing { border: 2px solid #c62828; background: #fff6f6; }
.culprit { color: #9b1c1c; font-family: system-ui, sans-serif; font-weight: 700; margin-right: .4rem; }
.counterexample { margin: .4rem 0; }
.counterexample ol { margin: .2rem 0; }
${SUMMARY_ORDER.map((status) => `body:has(#show-${status}:not(:checked)) .g-${status} { display: none; }`).join('\n')}
`;
