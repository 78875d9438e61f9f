#!/usr/bin/env python3
"""Independent check of docs/vectors/ed25519-negative.json: strict Ed25519 verification.

Written from docs/protocol.md alone (section 7.1, the five rules of strict verification, and
section 7.12, the file's fields), without reading any of the Rust sources. The verifier is
here, on Python integers: point decoding (rule 1: y reduced mod p, x recovered with the sign
bit, x = 0 decodes whatever its sign bit), small order ([8]P is the identity), S < L, and the
cofactorless equation with R compared by its bytes. The `cryptography` package's Ed25519 is
not used: it decodes and checks differently. tools/reproduce_handshake.py imports
`verify_strict` and `decode_point` from this file for the bundle signatures (HS-03, HS-04).

For every case of the file this script checks: the fields of 7.12 and their lengths; the
outcome (`expected`) against this verifier; `rule` against the first of 7.1's rules, in their
order, that the case breaks; `cofactorless_equation` and `cofactored_equation` against the two
equations evaluated here; that each of the five rules has a refused case, and that RFC 8032's
test 1 (section 7.1 of the RFC) is an accepted case.

Usage: python3 tools/reproduce_ed25519.py [--self-test] [VECTOR_FILE]
       (default: docs/vectors/ed25519-negative.json)
  --self-test  also mutates in-memory copies of the file (an outcome, a rule, an equation, a
               signature byte, a key byte) and asserts the checker reports each.
Exits non-zero on any mismatch.
"""
from __future__ import annotations

import copy
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT / "docs" / "vectors" / "ed25519-negative.json"
FNAME = "ed25519-negative.json"

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
RFC8032_TEST1_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"


# ---------------------------------------------------------------- the curve, extended coordinates (X:Y:Z:T)
def _affine(x: int, y: int):
    return (x % P, y % P, 1, x * y % P)


IDENTITY = _affine(0, 1)


def add(p1, p2):
    """Unified addition on -x^2 + y^2 = 1 + d x^2 y^2 (a = -1), extended coordinates."""
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * D * t1 * t2 % P
    dd = 2 * z1 * z2 % P
    e, f, g, h = b - a, dd - c, dd + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def neg(p1):
    x, y, z, t = p1
    return (-x % P, y, z, -t % P)


def mul(k: int, p1):
    out = IDENTITY
    while k:
        if k & 1:
            out = add(out, p1)
        p1 = add(p1, p1)
        k >>= 1
    return out


def to_affine(p1) -> tuple[int, int]:
    x, y, z, _ = p1
    zi = pow(z, P - 2, P)
    return x * zi % P, y * zi % P


def same_point(p1, p2) -> bool:
    return to_affine(p1) == to_affine(p2)


def encode(p1) -> bytes:
    """The canonical encoding: y < p, the sign bit is x's parity."""
    x, y = to_affine(p1)
    return (y | (x & 1) << 255).to_bytes(32, "little")


def decode_point(b: bytes):
    """7.1 rule 1: the low 255 bits are y reduced mod p; x from the sign bit (RFC 8032 5.1.3 steps 2-4),
    a point with x = 0 decodes whatever its sign bit. None when no x exists."""
    if len(b) != 32:
        return None
    v = int.from_bytes(b, "little")
    sign, y = v >> 255, (v & ((1 << 255) - 1)) % P
    u, w = (y * y - 1) % P, (D * y * y + 1) % P
    x2 = u * pow(w, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    if x != 0 and x & 1 != sign:
        x = P - x
    return _affine(x, y)


def small_order(p1) -> bool:
    """[8]P is the identity."""
    return same_point(mul(8, p1), IDENTITY)


B = decode_point((4 * pow(5, P - 2, P) % P).to_bytes(32, "little"))


def challenge(r: bytes, a: bytes, m: bytes) -> int:
    return int.from_bytes(hashlib.sha512(r + a + m).digest(), "little") % L


# ---------------------------------------------------------------- 7.1: strict verification
RULES = {1: "A is not a curve point", 2: "A has small order", 3: "S is not below L",
         4: "R is not a curve point or has small order", 5: "the canonical encoding of [S]B - [k]A is not R"}


def first_broken_rule(a_bytes: bytes, m: bytes, sig: bytes) -> int | None:
    """The first of 7.1's five rules, in their order, that (A, R || S, M) breaks; None: accepted."""
    if len(a_bytes) != 32 or len(sig) != 64:
        raise ValueError("a public key is 32 bytes and a signature 64")
    a = decode_point(a_bytes)
    if a is None:
        return 1
    if small_order(a):
        return 2
    r_bytes, s = sig[:32], int.from_bytes(sig[32:], "little")
    if s >= L:
        return 3
    r = decode_point(r_bytes)
    if r is None or small_order(r):
        return 4
    k = challenge(r_bytes, a_bytes, m)
    if encode(add(mul(s, B), neg(mul(k, a)))) != r_bytes:
        return 5
    return None


def verify_strict(a_bytes: bytes, m: bytes, sig: bytes) -> str | None:
    """None when 7.1 accepts, else the reason (the first rule broken)."""
    if len(sig) != 64:
        return "signature is not 64 bytes"
    rule = first_broken_rule(a_bytes, m, sig)
    return None if rule is None else f"rule {rule}: {RULES[rule]}"


def equations(a_bytes: bytes, m: bytes, sig: bytes) -> tuple[bool | None, bool | None]:
    """(cofactorless [S]B = R + [k]A, cofactored [8][S]B = [8]R + [8][k]A), as points; None if A or R does not decode."""
    a, r = decode_point(a_bytes), decode_point(sig[:32])
    if a is None or r is None:
        return None, None
    k = challenge(sig[:32], a_bytes, m)
    diff = add(add(mul(int.from_bytes(sig[32:], "little"), B), neg(r)), neg(mul(k, a)))
    return same_point(diff, IDENTITY), small_order(diff)


# ---------------------------------------------------------------- the vector file (7.12)
class Checker:
    def __init__(self):
        self.checks, self.errors = 0, []

    def eq(self, path: str, expected, got) -> bool:
        self.checks += 1
        if expected == got and type(expected) is type(got):
            return True
        self.errors.append(f"{FNAME}: {path}: expected {expected!r}, got {got!r}")
        return False


CASE_FIELDS = ["id", "rule", "comment", "public_key", "message", "signature", "expected",
               "cofactorless_equation", "cofactored_equation"]


def _hex(x, n: int | None) -> bytes | None:
    if not isinstance(x, str) or x != x.lower():
        return None
    try:
        b = bytes.fromhex(x)
    except ValueError:
        return None
    return b if n is None or len(b) == n else None


def run_file(v: dict) -> Checker:
    c = Checker()
    c.eq("top-level fields", ["cases", "description"], sorted(v))
    cases = v.get("cases", [])
    for i, x in enumerate(cases):
        p = f"cases[{i}] (id {x.get('id')})"
        c.eq(f"{p}: fields", sorted(CASE_FIELDS), sorted(x))
        c.eq(f"{p}: id", i + 1, x.get("id"))
        a, m, sig = _hex(x.get("public_key"), 32), _hex(x.get("message"), None), _hex(x.get("signature"), 64)
        if a is None or m is None or sig is None:
            c.eq(f"{p}: public_key (32 B), message, signature (64 B) as lower-case hex", True, False)
            continue
        rule = first_broken_rule(a, m, sig)
        c.eq(f"{p}: expected", x.get("expected"), "accepted" if rule is None else "refused")
        c.eq(f"{p}: rule (the first of 7.1's rules broken)", x.get("rule"), rule)
        less, more = equations(a, m, sig)
        c.eq(f"{p}: cofactorless_equation", x.get("cofactorless_equation"), less)
        c.eq(f"{p}: cofactored_equation", x.get("cofactored_equation"), more)
    refused = {x.get("rule") for x in cases if x.get("expected") == "refused"}
    for rule in RULES:
        c.eq(f"rule {rule} has a refused case", True, rule in refused)
    c.eq("RFC 8032 test 1 is an accepted case", True,
         any(x.get("public_key") == RFC8032_TEST1_PUBLIC and x.get("message") == "" and x.get("expected") == "accepted"
             for x in cases))
    return c


def report(c: Checker, v: dict) -> bool:
    for e in c.errors[:40]:
        print(e)
    if c.errors:
        print(f"{FNAME}: FAIL: {len(c.errors)} mismatch(es) in {c.checks} checks")
        return False
    cases = v["cases"]
    by_rule = {r: sum(1 for x in cases if x["rule"] == r) for r in RULES}
    print(f"{FNAME}: OK: {len(cases)} cases ({sum(1 for x in cases if x['expected'] == 'accepted')} accepted; "
          f"refused by rule: {by_rule}), {c.checks} checks: all match")
    return True


def self_test(v: dict) -> bool:
    cases = v["cases"]
    first = {r: next(i for i, x in enumerate(cases) if x["rule"] == r) for r in RULES}
    acc = next(i for i, x in enumerate(cases) if x["expected"] == "accepted")
    holds = next(i for i, x in enumerate(cases) if x["rule"] == 4 and x["cofactored_equation"] is True)

    def setf(i, k, fn):
        return lambda d: d["cases"][i].__setitem__(k, fn(d["cases"][i][k]))

    def flip(hx: str, byte: int) -> str:
        b = bytearray(bytes.fromhex(hx))
        b[byte] ^= 0x01
        return b.hex()

    muts = [(f"case {acc + 1}: expected accepted -> refused", setf(acc, "expected", lambda _: "refused"),
             f"cases[{acc}] (id {acc + 1}): expected")]
    for r, i in first.items():
        muts.append((f"case {i + 1}: rule {r} -> {r % 5 + 1}", setf(i, "rule", lambda x: x % 5 + 1),
                     f"cases[{i}] (id {i + 1}): rule"))
        muts.append((f"case {i + 1}: expected refused -> accepted", setf(i, "expected", lambda _: "accepted"),
                     f"cases[{i}] (id {i + 1}): expected"))
    muts += [
        (f"case {holds + 1}: cofactored_equation true -> false", setf(holds, "cofactored_equation", lambda _: False),
         f"cases[{holds}] (id {holds + 1}): cofactored_equation"),
        (f"case {acc + 1}: flip bit 0 of the signature's byte 40 (S)", setf(acc, "signature", lambda x: flip(x, 40)),
         f"cases[{acc}] (id {acc + 1}): expected"),
        (f"case {acc + 1}: flip bit 0 of the public key's byte 0", setf(acc, "public_key", lambda x: flip(x, 0)),
         f"cases[{acc}] (id {acc + 1}):"),
        (f"case {acc + 1}: message gets a byte", setf(acc, "message", lambda x: x + "00"),
         f"cases[{acc}] (id {acc + 1}): expected"),
        ("drop every rule-3 case", lambda d: d.__setitem__("cases", [x for x in d["cases"] if x["rule"] != 3]),
         "rule 3 has a refused case"),
    ]
    ok = True
    for desc, mutate, expect in muts:
        w = copy.deepcopy(v)
        mutate(w)
        errs = run_file(w).errors
        if not any(expect in e for e in errs):
            print(f"self-test: {FNAME}: mutation NOT detected at '{expect}': {desc}"
                  + (f"; first report: {errs[0]}" if errs else ""))
            ok = False
    # The verifier itself on two inputs 7.1 names: the identity as A (y = 1, small order) and S + L.
    rfc = next(x for x in cases if x["public_key"] == RFC8032_TEST1_PUBLIC)
    sig = bytes.fromhex(rfc["signature"])
    s_plus_l = sig[:32] + (int.from_bytes(sig[32:], "little") + L).to_bytes(32, "little")
    crafted = [((1).to_bytes(32, "little"), sig, 2), (bytes.fromhex(RFC8032_TEST1_PUBLIC), s_plus_l, 3),
               (bytes.fromhex(RFC8032_TEST1_PUBLIC), sig, None)]
    for a, s, want in crafted:
        got = first_broken_rule(a, b"", s)
        if got != want:
            print(f"self-test: {FNAME}: crafted input: rule {got}, expected {want}")
            ok = False
    n = len(muts) + len(crafted)
    print(f"self-test: {FNAME}: {n} mutations and crafted inputs: {'all detected' if ok else 'SOME NOT DETECTED'}")
    return ok


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--self-test"]
    if len(args) > 1 or any(a.startswith("-") for a in args):
        print(__doc__)
        return 2
    path = Path(args[0]) if args else DEFAULT_FILE
    try:
        v = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        print(f"{FNAME}: FAIL: cannot load {path}: {e}")
        return 1
    ok = report(run_file(v), v)
    if "--self-test" in argv:
        ok &= self_test(v)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
