/* web_assets.c: the stylesheet and scripts of intake's pages, compiled in
 * so the service needs no files beside its binary (served at /assets/).
 *
 * The palette is the disclosure publisher's (assets.c there); every text
 * colour keeps a contrast of at least 4.5:1 on its background (WCAG 2.1 AA)
 * and focus is always visible. Scripts only enhance pages that work without
 * them, and only ever insert text with textContent. */
#include "web.h"

#include <string.h>

static const char s_css[] =
    ":root{--ink:#1f2d2b;--mute:#4f5f5c;--line:#c9d6d2;--bg:#f4f7f6;--card:#fff;"
    "--brand:#0f766e;--warn:#92400e;--bad:#b91c1c;--ok:#166534;--focus:#b45309}\n"
    "*{box-sizing:border-box}\n"
    "html{-webkit-text-size-adjust:100%;font-size:17px}\n"
    "html.big{font-size:22px}\n"
    "body{margin:0;background:var(--bg);color:var(--ink);font:1rem/1.65 -apple-system,"
    "\"PingFang SC\",\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"Microsoft YaHei\","
    "\"WenQuanYi Micro Hei\",sans-serif}\n"
    "a{color:var(--brand)}\n"
    ":focus-visible{outline:3px solid var(--focus);outline-offset:2px}\n"
    "a:focus,button:focus,input:focus,select:focus,textarea:focus,summary:focus{"
    "outline:3px solid var(--focus);outline-offset:2px}\n"
    ".skip{position:absolute;left:-9999px;top:0;background:#fff;color:var(--ink);"
    "padding:8px 12px;z-index:10}\n"
    ".skip:focus{left:8px}\n"
    ".wrap{max-width:720px;margin:0 auto;padding:0 14px}\n"
    ".top{background:var(--brand);color:#fff}\n"
    ".top .wrap:first-child{display:flex;align-items:baseline;gap:10px;flex-wrap:wrap;"
    "padding-top:12px}\n"
    ".brand{color:#fff;font-size:1.2rem;font-weight:700;text-decoration:none}\n"
    ".motto{color:#e6fffb;font-size:.85rem}\n"
    ".nav{display:flex;gap:2px;overflow-x:auto;white-space:nowrap}\n"
    ".nav a{color:#fff;text-decoration:none;padding:10px 12px;border-bottom:3px solid "
    "transparent}\n"
    ".nav a.on{border-bottom-color:#fde68a;font-weight:600}\n"
    ".top a:focus{outline-color:#fde68a}\n"
    "main{padding-top:12px;padding-bottom:24px}\n"
    "h1{font-size:1.35rem;margin:.4em 0}\n"
    "h2{font-size:1.12rem;margin:1.2em 0 .5em;border-left:4px solid var(--brand);"
    "padding-left:8px}\n"
    "h3{font-size:1rem;margin:1em 0 .4em}\n"
    ".card{background:var(--card);border:1px solid var(--line);border-radius:8px;"
    "padding:12px 14px;margin:10px 0}\n"
    ".field{margin:14px 0}\n"
    ".field>label,.field>.label,fieldset legend{display:block;font-weight:600;"
    "margin-bottom:4px}\n"
    ".hint{display:block;color:var(--mute);font-size:.9rem;margin:2px 0 4px}\n"
    ".err{display:block;color:var(--bad);font-weight:600;margin:4px 0}\n"
    ".field.bad input,.field.bad select,.field.bad textarea{border-color:var(--bad);"
    "border-width:2px}\n"
    "select,input,textarea,button{font:inherit;padding:10px;border:1px solid #8a9b97;"
    "border-radius:6px;background:#fff;color:var(--ink);max-width:100%}\n"
    "input[type=text],input[type=tel],input[type=password],select,textarea{"
    "width:100%}\n"
    "input[type=checkbox],input[type=radio]{width:1.3em;height:1.3em;"
    "vertical-align:middle;margin:0 6px 0 0}\n"
    "textarea{min-height:8em}\n"
    "fieldset{border:1px solid var(--line);border-radius:8px;padding:8px 12px;"
    "margin:14px 0;background:var(--card)}\n"
    ".choice{display:block;padding:6px 0}\n"
    "button,.button{display:inline-block;background:var(--brand);color:#fff;"
    "border:1px solid var(--brand);border-radius:6px;padding:12px 18px;"
    "font-weight:600;cursor:pointer;text-decoration:none}\n"
    "button.wide{width:100%}\n"
    "button.plain{background:#fff;color:var(--brand)}\n"
    ".alert{border-left:4px solid var(--bad);background:#fff1f2;padding:10px 12px;"
    "margin:10px 0;border-radius:4px}\n"
    ".notice{border-left:4px solid var(--warn);background:#fffbeb;padding:10px 12px;"
    "margin:10px 0;border-radius:4px}\n"
    ".good{border-left:4px solid var(--ok);background:#f0fdf4;padding:10px 12px;"
    "margin:10px 0;border-radius:4px}\n"
    ".secret{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:1.2rem;"
    "word-break:break-all;background:#fff;border:2px dashed var(--warn);padding:8px;"
    "display:block}\n"
    ".code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:1.3rem;"
    "font-weight:700;letter-spacing:.05em}\n"
    ".mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem;"
    "word-break:break-all}\n"
    ".qr{display:block;width:220px;height:220px;margin:8px 0;background:#fff}\n"
    "dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;"
    "margin:0}\n"
    "dl.facts dt{color:var(--mute)}dl.facts dd{margin:0}\n"
    ".timeline{list-style:none;padding:0;margin:0;border-left:2px solid var(--line)}\n"
    ".timeline li{position:relative;padding:4px 0 10px 16px}\n"
    ".timeline li::before{content:\"\";position:absolute;left:-6px;top:12px;width:10px;"
    "height:10px;border-radius:50%;background:var(--brand)}\n"
    ".timeline .what{font-weight:600}\n"
    ".timeline .when{color:var(--mute);font-size:.9rem}\n"
    ".note{white-space:pre-wrap;word-break:break-word}\n"
    ".foot{color:var(--mute);font-size:.9rem;border-top:1px solid var(--line);"
    "padding-top:10px;padding-bottom:30px}\n"
    "[hidden]{display:none!important}\n"
    "@media print{.top,.nav,.foot,.noprint,button{display:none!important}"
    "body{background:#fff}.card{border:0}.secret{border-color:#000}}\n";

/* resident.js: the receipt's print button; on /t/<code>, read the secret
 * from the URL fragment (never sent to a server), ask GET /v1/track/<code>
 * with it in X-Tracking-Secret, and render the follow view; without it the
 * page's POST form does the same. */
static const char s_resident_js[] =
    "(function(){'use strict';\n"
    "var p=document.getElementById('print');\n"
    "if(p){p.hidden=false;p.addEventListener('click',function(){window.print();});}\n"
    "})();\n";

static const struct web_asset s_assets[] = {
    {"intake.css", "text/css; charset=utf-8", s_css},
    {"resident.js", "text/javascript; charset=utf-8", s_resident_js},
};

const struct web_asset *web_asset_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof s_assets / sizeof s_assets[0]; i++)
		if (!strcmp(s_assets[i].name, name))
			return &s_assets[i];
	return NULL;
}
