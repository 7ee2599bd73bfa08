import { VERDICT_KINDS, VERDICT_STYLES } from './verdicts.ts';

// Only inline style and script run: the page makes no request of any kind.
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

const VERDICT_COLOURS = VERDICT_KINDS.map(
  (kind) => `.v-${kind}{background:${VERDICT_STYLES[kind].color}}`,
).join('');

/** The page's stylesheet. */
export const PAGE_STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1rem 2rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}
th,td{border-bottom:1px solid #ddd;padding:2px 8px;text-align:left;vertical-align:top}
td.n,th.n,#groups td:last-child{text-align:right}
caption{text-align:left;font-weight:600;padding:4px 0}
.alert{background:#fdecea;border-left:4px solid #d62728;padding:4px 8px}
.bar{display:flex;width:160px;height:12px;background:#eee;margin-top:3px}
.bar i{display:block;height:100%}
.sw{display:inline-block;width:10px;height:10px;margin-right:4px}
.use{position:relative;display:inline-block;width:80px;height:8px;background:#eee;margin-right:6px}
.use i{position:absolute;left:0;top:0;bottom:0;background:#1f77b4}
.use b{position:absolute;top:-3px;bottom:-3px;width:2px;background:#d62728}
small{display:block;color:#555}
.v-other{background:#000}
${VERDICT_COLOURS}
`;

/**
 * The page's only script: hides the group rows whose decision is unchecked or
 * whose name and id do not contain the search text, and says how many show.
 */
export const PAGE_SCRIPT = `(()=>{
const rows=Array.from(document.querySelectorAll('#groups tbody tr'));
const keys=rows.map(r=>(r.cells[0].textContent+' '+r.cells[0].title).toLowerCase());
const boxes=Array.from(document.querySelectorAll('#filters input[type=checkbox]'));
const search=document.getElementById('search');
const shown=document.getElementById('shown');
function apply(){
const on=new Set(boxes.filter(b=>b.checked).map(b=>b.value));
const text=search.value.trim().toLowerCase();
let count=0;
for(let i=0;i<rows.length;i++){
const show=on.has(rows[i].className)&&(text===''||keys[i].includes(text));
rows[i].hidden=!show;
if(show)count++;
}
shown.textContent=count+' of '+rows.length+' groups shown';
}
for(const box of boxes)box.addEventListener('change',apply);
search.addEventListener('input',apply);
apply();
})();`;
