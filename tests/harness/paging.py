"""The one pagination convention (docs/API.md, common/qf_page.c), checked
from outside: an answer's next_cursor and its Link: <...>; rel="next" header
agree, and walking a list page by page returns every item exactly once.
"""
import re
import urllib.parse

# RFC 8288 link-value: "<" URI-Reference ">" *( OWS ";" OWS link-param )
_LINK = re.compile(r'\s*<([^>]*)>((?:\s*;\s*[!#$%&\'*+.^_`|~0-9A-Za-z-]+'
                   r'(?:\s*=\s*(?:[!#$%&\'*+.^_`|~0-9A-Za-z-]+|"(?:[^"\\]|\\.)*"))?)*)')
_PARAM = re.compile(r'\s*;\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)'
                    r'(?:\s*=\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+|"(?:[^"\\]|\\.)*"))?')


def parse_link(value):
    """[(target, {param: value})] of a Link header; raises ValueError."""
    out, pos = [], 0
    while pos < len(value):
        m = _LINK.match(value, pos)
        if not m:
            raise ValueError("bad Link header at %d: %r" % (pos, value))
        params = {}
        for p in _PARAM.finditer(m.group(2)):
            v = p.group(2) or ""
            params[p.group(1).lower()] = v[1:-1] if v.startswith('"') else v
        out.append((m.group(1), params))
        pos = m.end()
        rest = value[pos:].lstrip()
        if rest and not rest.startswith(","):
            raise ValueError("bad Link header at %d: %r" % (pos, value))
        pos = len(value) - len(rest) + (1 if rest else 0)
    return out


def next_link(headers):
    """The rel="next" target of a response's headers (lower-case keys), or
    None."""
    value = headers.get("link")
    if not value:
        return None
    for target, params in parse_link(value):
        if "next" in params.get("rel", "").split():
            return target
    return None


def walk(test, get, path, items_key, id_key, max_pages=200):
    """Follow the Link header from path to the last page; check each page's
    next_cursor names the same cursor as its Link. get(path) returns
    (status, headers, json). Returns the ids in order."""
    ids, pages = [], 0
    while path:
        st, headers, body = get(path)
        test.assertEqual(st, 200, body)
        ids += [i[id_key] for i in body[items_key]]
        target = next_link(headers)
        cursor = body["next_cursor"]
        if target is None:
            test.assertIsNone(cursor, path)
        else:
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
            test.assertEqual(q.get("cursor"), [cursor], target)
            test.assertEqual(urllib.parse.urlsplit(target).path,
                             urllib.parse.urlsplit(path).path)
        path = target
        pages += 1
        test.assertLess(pages, max_pages, "the cursor does not advance")
    return ids
