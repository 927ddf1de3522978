"""policy.py: an independent model of the access policy (common/qf_policy.c),
read from a community file, for the route x role matrix test: what a test
expects is computed here, from the same data the services read, by code that
shares nothing with the C implementation.

    pol = Policy.load("config/community.cfg")
    pol.decide("s04", "case.read", case)   # "allow", 401, 403 or 404
"""
import re

TWIN = {"case.read": "integrity.read", "case.act": "integrity.act",
        "case.contact": "integrity.contact"}
CASE_ACTIONS = {"case.read", "case.act", "case.contact", "integrity.read",
                "integrity.act", "integrity.contact", "delivery.read", "private.read"}


def _group_list(text, name):
    m = re.search(r"^%s = \((.*?)^\);" % name, text, re.S | re.M)
    if not m:
        raise ValueError("no %s list" % name)
    return m.group(1)


def _str(body, key):
    m = re.search(r'\b%s\s*=\s*"([^"]*)"' % key, body)
    return m.group(1) if m else None


def _strs(body, key):
    m = re.search(r"\b%s\s*=\s*\[(.*?)\]" % key, body, re.S)
    return re.findall(r'"([^"]*)"', m.group(1)) if m else []


def _groups(block):
    """The { ... } groups of a list (no nesting inside them)."""
    return re.findall(r"\{(.*?)\}", block, re.S)


class Case:
    """What the policy knows of a case."""

    def __init__(self, building="", assignee="", owner="", escalated_to="", concerns="",
                 parties=(), sensitive=False):
        self.building, self.assignee, self.owner = building, assignee, owner
        self.escalated_to, self.concerns = escalated_to, concerns
        self.parties, self.sensitive = list(parties), sensitive


class Policy:
    def __init__(self, roles, staff, heads):
        self.roles = roles      # role -> {action: scope}
        self.staff = staff      # id -> (role, [supervises])
        self.heads = heads      # building -> head

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            text = re.sub(r"#[^\n]*", "", f.read())
        roles = {}
        for g in _groups(_group_list(text, "roles")):
            grants = {}
            for gr in _strs(g, "grants"):
                action, _, scope = gr.partition(":")
                grants[action] = scope or "all"
            roles[_str(g, "name")] = grants
        staff = {}
        for g in _groups(_group_list(text, "staff")):
            staff[_str(g, "id")] = (_str(g, "role"), _strs(g, "supervises"))
        heads = {_str(g, "id"): _str(g, "head") for g in _groups(_group_list(text, "buildings"))}
        return cls(roles, staff, heads)

    def supervises(self, boss, who, seen=None):
        seen = seen or set()
        if boss in seen or boss not in self.staff:
            return False
        seen.add(boss)
        subs = self.staff[boss][1]
        return who in subs or any(self.supervises(s, who, seen) for s in subs)

    def scope(self, staff_id, action):
        role = self.staff[staff_id][0]
        return self.roles.get(role, {}).get(action)

    def decide(self, staff_id, action, case=None):
        """'allow', 401 (no staff), 403 (the role never), 404 (hidden)."""
        if action == "public":
            return "allow"
        if staff_id is None:
            return 401
        if not self.scope(staff_id, action):
            return 403
        if case is None or action not in CASE_ACTIONS:
            return "allow"
        if case.concerns and (case.concerns == staff_id or
                              self.supervises(staff_id, case.concerns)):
            return 404
        if staff_id in case.parties:
            return 404
        eff = TWIN.get(action, action) if case.sensitive else action
        scope = self.scope(staff_id, eff)
        handles = staff_id in (case.assignee, case.owner, case.escalated_to)
        if scope == "all":
            return "allow"
        if scope == "buildings":
            heads = not case.sensitive and self.heads.get(case.building) == staff_id
            return "allow" if handles or heads else 404
        if scope == "handling":
            return "allow" if handles else 404
        return 404
