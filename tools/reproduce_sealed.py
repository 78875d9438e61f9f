#!/usr/bin/env python3
"""Independent reproduction of docs/vectors/padding.json, certificates.json, sealed.json and
access-tokens.json (chapter 9 of docs/protocol.md, sealed sender).

Written from docs/protocol.md alone (sections 1, 1.1, 2, 5, 6, 7.1 and 9.1 to 9.6) by an outside
reviewer, without reading any Rust source or test. Reused from this repository's other docs-only
tools: the strict Ed25519 verifier, Ed25519 key derivation and signing and the X25519 canonical
test of tools/reproduce_devices.py, and the shape checker of tools/reproduce_devices2.py.
Everything else is here: the bucket function, pad and strict unpad (9.1); the server and sender
certificate encoders, decoders, the store and the verification of 9.2; an RFC 7748 X25519 on
Python integers (so that an all-zero output is seen, not raised); the single-recipient seal and
open (9.3); the multi-recipient seal, the relay's parse and split (9.4); the delivery-token
derivations, share codec and verifier check (9.5).

What is checked:
  * section 2's table parsed from docs/protocol.md: every label this script uses is a row with
    these bytes; section 1.1's rows for 0x1e and 0x1f; section 5's SEAL-PAD-*, SEAL-CERT-*,
    SEAL-ENV-*, SEAL-MR-*, SEAL-TOK-* rows exist, every expected error of a vector is named in
    the error column of its ID (and, for SEAL-ENV-09 and -10, the inner reason in the row of the
    SEAL-CERT or SEAL-PAD ID this implementation refuses it under), and the negative cases of
    each file cover exactly its IDs;
  * each file's shape: exactly the fields this script knows, of the sizes the spec gives;
  * padding.json: every case padded and unpadded; every negative refused in 9.1's order;
  * certificates.json: root, server and sender certificates rebuilt from their seeds and inputs
    and verified; every negative input rebuilt from its comment and refused in 9.2's order;
  * sealed.json: every intermediate value of every single and multi-recipient case rebuilt
    from its inputs; every envelope opened (9.3's checks), the sent form parsed and split
    (9.4); every negative input rebuilt from its comment (forged ones with E = 0x45 x 32) and
    refused with its ID and reason;
  * access-tokens.json: share, access key and verifier of every profile key, the rotation,
    every negative input rebuilt from its comment and refused with its ID and error.

Conventions of the vector files that the spec does not state, pinned here (see the report of
the review): a certificate negative whose comment replaces a field keeps the original signature;
"a year" is 365 days and "a day" 86400 s; in access-tokens.json "first bit" is bit 0 of byte 0
and "last bit" bit 7 of the last byte, the "right access key" is that of cases[1], operation
`verifier` decodes `input` (the `verifier` field is then empty); inputs an operation ignores
(`now` of server_decode and store_add; `recipient`, `now`, `revoked` of split) are 0 and [].

Usage: python3 tools/reproduce_sealed.py [--self-test] [--vectors DIR] [--spec FILE]
  --self-test    also applies seeded in-memory mutations (hex digits, numbers, an unknown and a
                 missing field) to each file and asserts each is reported.
Exits non-zero on any mismatch.
"""
from __future__ import annotations

import copy
import hashlib
import hmac as hmac_mod
import json
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cryptography.exceptions import InvalidTag  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305  # noqa: E402
from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: E402

import reproduce_devices as rd  # noqa: E402
from reproduce_devices import Checker, decode_point, x25519_canonical  # noqa: E402
from reproduce_devices2 import _shape  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VECTORS = ROOT / "docs" / "vectors"
DEFAULT_SPEC = ROOT / "docs" / "protocol.md"
PAD_FILE, CERT_FILE, SEALED_FILE, TOK_FILE = "padding.json", "certificates.json", "sealed.json", "access-tokens.json"
FILES = (PAD_FILE, CERT_FILE, SEALED_FILE, TOK_FILE)

LABELS = {
    "SEALED_SERVER_CERTIFICATE": b"Sotto/1 sealed server certificate",
    "SEALED_SENDER_CERTIFICATE": b"Sotto/1 sealed sender certificate",
    "SEALED_ENVELOPE_EPHEMERAL": b"Sotto/1 sealed envelope ephemeral",
    "SEALED_ENVELOPE_STATIC": b"Sotto/1 sealed envelope static",
    "SEALED_ACCESS_KEY": b"Sotto/1 sealed access key",
    "SEALED_ACCESS_VERIFIER": b"Sotto/1 sealed access verifier",
}
L_SERVER, L_SENDER = LABELS["SEALED_SERVER_CERTIFICATE"], LABELS["SEALED_SENDER_CERTIFICATE"]
L_EPH, L_STATIC = LABELS["SEALED_ENVELOPE_EPHEMERAL"], LABELS["SEALED_ENVELOPE_STATIC"]
L_ACCESS, L_VERIFIER = LABELS["SEALED_ACCESS_KEY"], LABELS["SEALED_ACCESS_VERIFIER"]
TAGS = {0x1E: "SEALED_CERTIFICATE", 0x1F: "SEALED_ENVELOPE"}
T_CERT, T_ENV = 0x1E, 0x1F
SUB_SERVER, SUB_SENDER = 0x01, 0x02
SUB_SINGLE, SUB_MULTI, SUB_SENT = 0x01, 0x02, 0x03
SMALL_BUCKETS = (32, 64, 128, 256)
MAX_PADDED_LEN = 2**24
SERVER_LEN, SENDER_LEN, COMPACT_LEN = 118, 162, 98
OVERHEAD, MULTI_OVERHEAD = 229, 277
MIN_LEN, MAX_LEN = 261, 2**24 + 229
MULTI_MIN_LEN, MULTI_MAX_LEN = 309, 2**24 + 277
MAX_RECIPIENTS, ENTRY_LEN = 1024, 148
MIN_CONTENT_LEN, MAX_CONTENT_LEN = 147, 2**24 + 115
P = 2**255 - 19
FORGED_E = b"\x45" * 32
FOREIGN_K = b"\x4b" * 32
OTHER_ROOT_SEED, OTHER_SERVER_SEED = b"\x52" * 32, b"\x53" * 32
ID_COUNTS = {"SEAL-PAD": 4, "SEAL-CERT": 11, "SEAL-ENV": 10, "SEAL-MR": 5, "SEAL-TOK": 5}


# ---------------------------------------------------------------- primitives (section 1)
def hkdf(salt: bytes | None, ikm: bytes, info: bytes, n: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=n, salt=salt, info=info).derive(ikm)


def aead(key: bytes, nonce: bytes, ad: bytes, pt: bytes) -> bytes:
    return ChaCha20Poly1305(key).encrypt(nonce, pt, ad)


def aead_open(key: bytes, nonce: bytes, ad: bytes, ct: bytes) -> bytes | None:
    try:
        return ChaCha20Poly1305(key).decrypt(nonce, ct, ad)
    except InvalidTag:
        return None


def u32(x: int) -> bytes:
    return x.to_bytes(4, "big")


def u64(x: int) -> bytes:
    return x.to_bytes(8, "big")


def be(b: bytes) -> int:
    return int.from_bytes(b, "big")


def H(s: str) -> bytes:
    return bytes.fromhex(s)


def x25519(k: bytes, u: bytes) -> bytes:
    """RFC 7748 section 5 on Python integers: clamping inside, the top bit of u masked."""
    kn = bytearray(k)
    kn[0] &= 248
    kn[31] &= 127
    kn[31] |= 64
    kk = int.from_bytes(kn, "little")
    x1 = (int.from_bytes(u, "little") & ((1 << 255) - 1)) % P
    x2, z2, x3, z3, swap = 1, 0, x1, 1, 0
    a24 = 121665
    for t in reversed(range(255)):
        kt = (kk >> t) & 1
        swap ^= kt
        if swap:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = kt
        a, b = (x2 + z2) % P, (x2 - z2) % P
        aa, bb = a * a % P, b * b % P
        e = (aa - bb) % P
        c, d = (x3 + z3) % P, (x3 - z3) % P
        da, cb = d * a % P, c * b % P
        x3 = (da + cb) ** 2 % P
        z3 = x1 * (da - cb) ** 2 % P
        x2 = aa * bb % P
        z2 = e * (aa + a24 * e) % P
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, P - 2, P) % P).to_bytes(32, "little")


def x25519_public(priv: bytes) -> bytes:
    ours = x25519(priv, (9).to_bytes(32, "little"))
    if ours != rd.x25519_public(priv):
        raise AssertionError("X25519 public key: ours != cryptography")
    return ours


def dh(priv: bytes, pub: bytes) -> bytes:
    out = x25519(priv, pub)
    if any(out):  # cross-check where `cryptography` computes (it refuses an all-zero output)
        theirs = X25519PrivateKey.from_private_bytes(priv).exchange(X25519PublicKey.from_public_bytes(pub))
        if theirs != out:
            raise AssertionError("X25519: ours != cryptography")
    return out


def identity_of(seed: bytes, xpriv: bytes) -> bytes:
    return rd.ed25519_public(seed) + x25519_public(xpriv)


def identity_decodes(ident: bytes) -> bool:
    """HS-03's rules: the Ed25519 key a point (rule 1 of 7.1), the X25519 key canonical."""
    return decode_point(ident[:32]) is not None and x25519_canonical(ident[32:64])


class Err(Exception):
    """A refusal: validation ID, error name as the vectors write it, and for a wrapped reason
    (SEAL-ENV-09, -10) the inner validation ID."""

    def __init__(self, vid: str, error: str, inner_vid: str | None = None, why: str = ""):
        super().__init__(f"{vid} {error} {why}")
        self.vid, self.error, self.inner_vid, self.why = vid, error, inner_vid, why


# ---------------------------------------------------------------- 9.1 padding
def bucket(n: int) -> int:
    if n <= 256:
        return next(b for b in SMALL_BUCKETS if b >= n)
    e = n.bit_length() - 1  # floor(log2 n)
    s = e.bit_length()  # floor(log2 E) + 1
    z = e - s
    return ((n + (1 << z) - 1) >> z) << z


def is_bucket(m: int) -> bool:
    return m in SMALL_BUCKETS or (m > 256 and bucket(m) == m)


def pad(p: bytes) -> bytes:
    if len(p) > MAX_PADDED_LEN - 1:
        raise Err("SEAL-PAD-01", "PaddingError::TooLong")
    n = len(p) + 1
    return p + b"\x80" + bytes(bucket(n) - n)


def unpad(b: bytes) -> bytes:
    if len(b) > MAX_PADDED_LEN:
        raise Err("SEAL-PAD-01", "PaddingError::TooLong")
    if not is_bucket(len(b)):
        raise Err("SEAL-PAD-02", "PaddingError::NotABucket")
    t = b.rstrip(b"\x00")
    if not t or t[-1] != 0x80:
        raise Err("SEAL-PAD-03", "PaddingError::NoBoundary")
    p = t[:-1]
    if bucket(len(p) + 1) != len(b):
        raise Err("SEAL-PAD-04", "PaddingError::NotCanonical")
    return p


# ---------------------------------------------------------------- 9.2 certificates
def server_body(key_id: int, server_key: bytes, nb: int, na: int) -> bytes:
    return bytes([T_CERT, SUB_SERVER]) + u32(key_id) + server_key + u64(nb) + u64(na)


def sign_server(root_seed: bytes, body: bytes) -> bytes:
    return body + rd.ed25519_sign(root_seed, L_SERVER + body)


def sender_body(account_id: bytes, device_id: int, ident: bytes, expires: int, key_id: int) -> bytes:
    return bytes([T_CERT, SUB_SENDER]) + account_id + u32(device_id) + ident + u64(expires) + u32(key_id)


def sign_sender(server_seed: bytes, body: bytes) -> bytes:
    return body + rd.ed25519_sign(server_seed, L_SENDER + body)


def _cert_head(b: bytes, sub: int, length: int) -> None:
    first = b[0] if b else 0x00
    if first != T_CERT:
        raise Err("SEAL-CERT-01", "CertificateError::WrongTag")
    second = b[1] if len(b) > 1 else 0x00
    if second != sub:
        raise Err("SEAL-CERT-02", "CertificateError::WrongSubtype")
    if len(b) != length:
        raise Err("SEAL-CERT-03", "CertificateError::Length")


def server_decode(b: bytes, root: bytes) -> dict:
    _cert_head(b, SUB_SERVER, SERVER_LEN)
    key = b[6:38]
    if decode_point(key) is None:
        raise Err("SEAL-CERT-04", "CertificateError::InvalidKey")
    nb, na = be(b[38:46]), be(b[46:54])
    if nb > na:
        raise Err("SEAL-CERT-05", "CertificateError::InvertedWindow")
    if rd.verify_strict(root, L_SERVER + b[:54], b[54:118]) is not None:
        raise Err("SEAL-CERT-06", "CertificateError::Signature")
    return {"key_id": be(b[2:6]), "server_key": key, "not_before": nb, "not_after": na, "bytes": b}


class Store:
    def __init__(self, root: bytes):
        self.root, self.certs, self.revoked = root, {}, set()

    def add(self, b: bytes) -> None:
        c = server_decode(b, self.root)
        held = self.certs.get(c["key_id"])
        if held is not None and held["bytes"] != b:
            raise Err("SEAL-CERT-11", "CertificateError::ConflictingServerCertificate")
        self.certs[c["key_id"]] = c


def sender_decode(b: bytes) -> dict:
    _cert_head(b, SUB_SENDER, SENDER_LEN)
    if not identity_decodes(b[22:86]):
        raise Err("SEAL-CERT-04", "CertificateError::InvalidKey")
    return {"account_id": b[2:18], "device_id": be(b[18:22]), "identity": b[22:86], "expires": be(b[86:94]),
            "server_key_id": be(b[94:98]), "bytes": b}


def sender_verify(b: bytes, store: Store, now: int) -> dict:
    c = sender_decode(b)
    sc = store.certs.get(c["server_key_id"])
    if sc is None:
        raise Err("SEAL-CERT-07", "CertificateError::UnknownServerKey")
    if c["server_key_id"] in store.revoked:
        raise Err("SEAL-CERT-08", "CertificateError::Revoked")
    if now < sc["not_before"]:
        raise Err("SEAL-CERT-09", "CertificateError::ServerCertificateNotYetValid")
    if now > sc["not_after"]:
        raise Err("SEAL-CERT-09", "CertificateError::ServerCertificateExpired")
    if rd.verify_strict(sc["server_key"], L_SENDER + b[:98], b[98:162]) is not None:
        raise Err("SEAL-CERT-06", "CertificateError::Signature")
    if now > c["expires"]:
        raise Err("SEAL-CERT-10", "CertificateError::Expired")
    return c


def compact(cert: bytes) -> bytes:
    return cert[0:22] + cert[86:162]


def expand(comp: bytes, ident: bytes) -> bytes:
    return comp[0:22] + ident + comp[22:98]


# ---------------------------------------------------------------- 9.3 the envelope
def layer1_keys(e1: bytes, e_pub: bytes, r_ident: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    okm1 = hkdf(e_pub + r_ident, e1, L_EPH, 76)
    return okm1, okm1[0:32], okm1[32:64], okm1[64:76]


def layer2_keys(s: bytes, chain: bytes, layer1: bytes) -> tuple[bytes, bytes, bytes]:
    okm2 = hkdf(chain + layer1, s, L_STATIC, 44)
    return okm2, okm2[0:32], okm2[32:44]


def seal_single(e_priv: bytes, r_ident: bytes, s_ident: bytes, s: bytes | None, inner: bytes | None,
                sub: int = SUB_SINGLE, raw_layer2: bytes | None = None) -> dict:
    """9.3's formulas; `s` given (so forged layers can carry any identity); `raw_layer2` replaces
    layer 2 when no key exists."""
    v = {}
    v["e_pub"] = e_pub = x25519_public(e_priv)
    v["e1"] = e1 = dh(e_priv, r_ident[32:64])
    if not any(e1):
        raise Err("SEAL-ENV-04", "SealError::NonContributory")
    v["okm1"], v["chain"], v["key1"], v["nonce1"] = layer1_keys(e1, e_pub, r_ident)
    v["header1"] = header1 = bytes([T_ENV, sub]) + e_pub
    v["layer1_ct"] = layer1 = aead(v["key1"], v["nonce1"], header1, s_ident)
    v["header2"] = header2 = header1 + layer1
    if raw_layer2 is not None:
        v["envelope"] = header2 + raw_layer2
        return v
    v["s"] = s
    v["okm2"], v["key2"], v["nonce2"] = layer2_keys(s, v["chain"], layer1)
    v["inner"] = inner
    v["layer2_ct"] = aead(v["key2"], v["nonce2"], header2, inner)
    v["envelope"] = header2 + v["layer2_ct"]
    return v


def seal(sender_ident: bytes, sender_xpriv: bytes, cert: bytes, r_ident: bytes, content_type: int, message: bytes,
         e_priv: bytes) -> bytes:
    """9.3's `seal`, its refusals in order: the certificate, the padding, the DH outputs."""
    if not hmac_mod.compare_digest(cert[22:86], sender_ident):
        raise Err("SEAL-ENV-09", "SealError::CertificateMismatch")
    try:
        padded = pad(message)
    except Err:
        raise Err("SEAL-PAD-01", "SealError::Padding") from None
    s = dh(sender_xpriv, r_ident[32:64])
    if not any(s) or not any(dh(e_priv, r_ident[32:64])):
        raise Err("SEAL-ENV-04", "SealError::NonContributory")
    return seal_single(e_priv, r_ident, sender_ident, s, bytes([content_type]) + compact(cert) + padded)["envelope"]


def open_envelope(r_ident: bytes, r_xpriv: bytes, store: Store, now: int, b: bytes) -> dict:
    """9.3's opening checks, in order; raises Err with the SEAL-ENV ID and OpenReason."""
    first = b[0] if b else 0x00
    if first != T_ENV:
        raise Err("SEAL-ENV-01", "OpenReason::WrongTag")
    sub = b[1] if len(b) > 1 else 0x00
    if sub not in (SUB_SINGLE, SUB_MULTI):
        raise Err("SEAL-ENV-02", "OpenReason::WrongSubtype")
    lo, hi = (MIN_LEN, MAX_LEN) if sub == SUB_SINGLE else (MULTI_MIN_LEN, MULTI_MAX_LEN)
    if not lo <= len(b) <= hi:
        raise Err("SEAL-ENV-03", "OpenReason::Length")
    e_pub = b[2:34]
    if not x25519_canonical(e_pub):
        raise Err("SEAL-ENV-04", "OpenReason::NonCanonicalEphemeral")
    e1 = dh(r_xpriv, e_pub)
    if not any(e1):
        raise Err("SEAL-ENV-04", "OpenReason::NonContributory")
    _, chain, key1, nonce1 = layer1_keys(e1, e_pub, r_ident)
    header1, layer1 = b[0:34], b[34:114]
    s_ident = aead_open(key1, nonce1, header1, layer1)
    if s_ident is None:
        raise Err("SEAL-ENV-05", "OpenReason::Layer1")
    if not identity_decodes(s_ident):
        raise Err("SEAL-ENV-06", "OpenReason::SenderIdentity")
    s = dh(r_xpriv, s_ident[32:64])
    if not any(s):
        raise Err("SEAL-ENV-04", "OpenReason::NonContributory")
    _, key2, nonce2 = layer2_keys(s, chain, layer1)
    if sub == SUB_SINGLE:
        inner = aead_open(key2, nonce2, b[0:114], b[114:])
        if inner is None:
            raise Err("SEAL-ENV-07", "OpenReason::Layer2")
    else:
        content_ct = b[162:]
        k = aead_open(key2, nonce2, header1 + layer1 + hashlib.sha512(content_ct).digest(), b[114:162])
        if k is None:
            raise Err("SEAL-ENV-07", "OpenReason::Layer2")
        inner = aead_open(k, bytes(12), header1, content_ct)
        if inner is None:
            raise Err("SEAL-ENV-08", "OpenReason::Content")
    try:
        cert = sender_verify(expand(inner[1:99], s_ident), store, now)
    except Err as e:
        raise Err("SEAL-ENV-09", f"OpenReason::Certificate({e.error})", e.vid) from None
    try:
        msg = unpad(inner[99:])
    except Err as e:
        raise Err("SEAL-ENV-10", f"OpenReason::Padding({e.error})", e.vid) from None
    return {"account_id": cert["account_id"].hex(), "device_id": cert["device_id"], "identity": s_ident.hex(),
            "content_type": inner[0], "message": msg.hex()}


# ---------------------------------------------------------------- 9.4 multi-recipient
def multi_entry(e_priv: bytes, header1: bytes, r: dict, s_ident: bytes, s: bytes, k: bytes, content_ct: bytes) -> dict:
    v = {}
    r_ident = H(r["identity"])
    v["e1"] = e1 = dh(e_priv, r_ident[32:64])
    if not any(e1):
        raise Err("SEAL-ENV-04", "SealError::NonContributory")
    v["okm1"], v["chain"], v["key1"], v["nonce1"] = layer1_keys(e1, x25519_public(e_priv), r_ident)
    v["layer1_ct"] = aead(v["key1"], v["nonce1"], header1, s_ident)
    v["s"] = s
    v["okm2"], v["key2"], v["nonce2"] = layer2_keys(s, v["chain"], v["layer1_ct"])
    v["wrap_ad"] = header1 + v["layer1_ct"] + hashlib.sha512(content_ct).digest()
    v["wrap"] = aead(v["key2"], v["nonce2"], v["wrap_ad"], k)
    v["address"] = H(r["account_id"]) + u32(r["device_id"])
    v["entry"] = v["address"] + v["layer1_ct"] + v["wrap"]
    v["received"] = header1 + v["layer1_ct"] + v["wrap"] + content_ct
    return v


def parse_sent(b: bytes) -> list[bytes]:
    """SentEnvelope::parse (9.4's order) then split(): the received envelopes, in entry order."""
    first = b[0] if b else 0x00
    if first != T_ENV:
        raise Err("SEAL-MR-01", "SplitError::WrongTag")
    sub = b[1] if len(b) > 1 else 0x00
    if sub != SUB_SENT:
        raise Err("SEAL-MR-02", "SplitError::WrongSubtype")
    n = ((b[34] if len(b) > 34 else 0) << 8) | (b[35] if len(b) > 35 else 0)
    if not 1 <= n <= MAX_RECIPIENTS:
        raise Err("SEAL-MR-03", "SplitError::RecipientCount")
    c = len(b) - 36 - ENTRY_LEN * n
    if not MIN_CONTENT_LEN <= c <= MAX_CONTENT_LEN:
        raise Err("SEAL-MR-04", "SplitError::Length")
    entries = [b[36 + ENTRY_LEN * i: 36 + ENTRY_LEN * (i + 1)] for i in range(n)]
    for i in range(1, n):
        if not entries[i - 1][:20] < entries[i][:20]:
            raise Err("SEAL-MR-05", "SplitError::Order", why=f"index {i}")
    content = b[36 + ENTRY_LEN * n:]
    return [bytes([T_ENV, SUB_MULTI]) + b[2:34] + e[20:100] + e[100:148] + content for e in entries]


# ---------------------------------------------------------------- 9.5 delivery tokens
def access_key(pk: bytes) -> bytes:
    ours = hkdf(None, pk, L_ACCESS, 16)
    prk = hmac_mod.new(bytes(32), pk, hashlib.sha256).digest()
    spelled = hmac_mod.new(prk, L_ACCESS + b"\x01", hashlib.sha256).digest()[:16]
    if ours != spelled:
        raise AssertionError("HKDF written out over HMAC differs")
    return ours


def verifier_of(ak: bytes) -> bytes:
    return hashlib.sha256(L_VERIFIER + ak).digest()


def share_of(pk: bytes) -> bytes:
    return b"\x01" + pk


def from_share(b: bytes) -> bytes:
    if (b[0] if b else 0x00) != 0x01:
        raise Err("SEAL-TOK-01", "AccessError::ShareVersion")
    if len(b) != 33:
        raise Err("SEAL-TOK-02", "AccessError::ShareLength")
    return b[1:]


def access_key_from_bytes(b: bytes) -> bytes:
    if len(b) != 16:
        raise Err("SEAL-TOK-03", "AccessError::AccessKeyLength")
    return b


def verifier_from_bytes(b: bytes) -> bytes:
    if len(b) != 32:
        raise Err("SEAL-TOK-04", "AccessError::VerifierLength")
    return b


def check_token(presented: bytes, stored: bytes) -> None:
    ak = access_key_from_bytes(presented)
    v = verifier_from_bytes(stored)
    if not hmac_mod.compare_digest(verifier_of(ak), v):
        raise Err("SEAL-TOK-05", "AccessError::Refused")


# ---------------------------------------------------------------- spec tables
def check_spec(spec: str, c: Checker, rows: dict) -> None:
    sec2 = spec.split("\n## 2. Labels", 1)[1].split("\n## 3.", 1)[0]
    table = {}
    for name, ascii_, length, hx in re.findall(r"^\| `([A-Z0-9_]+)` \| `([^`]*)` \| (\d+) \| `([0-9a-f]+)` \|$", sec2, re.M):
        c.eq(f"protocol.md 2: {name}: hex = ASCII", ascii_.encode().hex(), hx)
        c.eq(f"protocol.md 2: {name}: length", len(ascii_.encode()), int(length))
        table[name] = bytes.fromhex(hx)
    c.eq("protocol.md 2: distinct labels", len(set(table.values())), len(table))
    for name, ours in LABELS.items():
        c.eq(f"protocol.md 2: {name}", ours.hex(), table.get(name, b"<absent>").hex())
    sec11 = spec.split("\n### 1.1 Type tags", 1)[1].split("\n## 2.", 1)[0]
    tags = {}
    for t, name, sect in re.findall(r"^\| `0x([0-9a-fA-F]{2})` \| `([A-Z_]+)` \| [^|]* \| ([0-9., ]+) \|", sec11, re.M):
        tags[int(t, 16)] = (name, sect)
    for tag, name in TAGS.items():
        c.eq(f"protocol.md 1.1: tag {tag:#04x}", name, tags.get(tag, (None,))[0])
        c.eq(f"protocol.md 1.1: tag {tag:#04x} section", True, tags.get(tag, (None, ""))[1].startswith("9"))
    sec5 = spec.split("\n## 5. Validation IDs", 1)[1].split("\n## 6.", 1)[0]
    for vid, _check, err in re.findall(r"^\| (SEAL-(?:PAD|CERT|ENV|MR|TOK)-\d\d) \| (.*) \| (.*) \|$", sec5, re.M):
        rows[vid] = re.findall(r"`([^`]+)`", err)
    for prefix, n in ID_COUNTS.items():
        want = [f"{prefix}-{i:02d}" for i in range(1, n + 1)]
        c.eq(f"protocol.md 5: {prefix} IDs", want, sorted(k for k in rows if k.startswith(prefix + "-")))


def error_named(rows: dict, vid: str, error: str) -> bool:
    """Is `error` (outer name, before any '(') in the error column of `vid`? The column writes a
    name in full (Type::Variant) and later ones of the same type as bare variants."""
    outer = error.split("(", 1)[0]
    typ, _, var = outer.rpartition("::")
    full, last = set(), None
    for nm in rows.get(vid, []):
        if "::" in nm:
            last, _, v = nm.rpartition("::")
            full.add((last.split("::")[-1], v))
        elif last:
            full.add((last.split("::")[-1], nm))
    return (typ.split("::")[-1], var) in full


def expect_refusal(c: Checker, p: str, neg: dict, rows: dict, fn, *a) -> Err | None:
    try:
        fn(*a)
        c.fail(p, f"accepted; expected {neg['validation_id']} {neg['expected_error']}")
        return None
    except Err as e:
        c.eq(f"{p}: validation_id", neg["validation_id"], e.vid)
        c.eq(f"{p}: expected_error", neg["expected_error"], e.error)
        c.eq(f"{p}: error named in section 5's row of {neg['validation_id']}", True,
             error_named(rows, neg["validation_id"], neg["expected_error"]))
        if "(" in neg["expected_error"]:
            inner = neg["expected_error"].split("(", 1)[1].rstrip(")")
            c.eq(f"{p}: inner reason named in section 5's row of {e.inner_vid}", True,
                 bool(e.inner_vid) and error_named(rows, e.inner_vid, inner))
            allowed = ({f"SEAL-CERT-{i:02d}" for i in (1, 2, 3, 4, 6, 7, 8, 9, 10)} if e.vid == "SEAL-ENV-09"
                       else {f"SEAL-PAD-{i:02d}" for i in range(1, 5)})
            c.eq(f"{p}: inner ID within 9.3 step 9/10's list", True, e.inner_vid in allowed)
        return e


def coverage(c: Checker, p: str, negs: list, prefixes: tuple, rows: dict, ordered: bool) -> None:
    got = {n.get("validation_id") for n in negs}
    want = {k for k in rows if k.rsplit("-", 1)[0] in prefixes}
    c.eq(f"{p}: the negative cases cover exactly {'/'.join(prefixes)}", sorted(want), sorted(got))
    ids = [n.get("id") for n in negs]
    c.eq(f"{p}: ids 1..n", list(range(1, len(negs) + 1)), ids)
    if ordered:
        vids = [n.get("validation_id") for n in negs]
        c.eq(f"{p}: in the order of the checks", sorted(vids), vids)


def padded_input(n: dict) -> bytes:
    b = H(n["input"])
    return b + bytes(max(0, n["pad_to"] - len(b))) if n["pad_to"] else b


def _xor(b: bytes, off: int, bit: int = 1) -> bytes:
    return b[:off] + bytes([b[off] ^ bit]) + b[off + 1:]


def _patch(b: bytes, off: int, new: bytes) -> bytes:
    return b[:off] + new + b[off + len(new):]


# ---------------------------------------------------------------- padding.json
PAD_TOP = {"description": ("str", None), "max_padded_len": ("int", None), "small_buckets": ("list", None),
           "plaintext_pattern": ("str", None), "cases": ("list", None), "negative": ("list", None)}
PAD_CASE = {"name": ("str", None), "plaintext_len": ("int", None), "padded_len": ("int", None), "padded": ("hex", None)}
PAD_NEG = {"id": ("int", None), "validation_id": ("str", None), "comment": ("str", None), "input": ("hex", None),
           "pad_to": ("int", None), "expected_error": ("str", None)}
PAD_LENGTHS = [0, 1, 30, 31, 32, 129, 255, 256, 257, 1000, 65536]


def pattern(n: int) -> bytes:
    return bytes(i % 251 for i in range(n))


def pad_negative_inputs() -> dict[int, bytes]:
    hello = pad(b"hello")
    e = b"\x80"
    z = lambda n: e + bytes(n - 1)  # noqa: E731  an empty plaintext's boundary byte and zeros
    return {1: z(2**24 + 2**19), 2: bytes(2**25), 3: z(2**24 + 1), 4: b"", 5: e, 6: hello + b"\x00", 7: hello[:-1],
            8: z(255), 9: z(257), 10: z(1000), 11: z(65535), 12: z(65537), 13: bytes(33), 14: bytes(32),
            15: bytes(272), 16: b"a" * 32, 17: _patch(hello, 5, b"\x01"), 18: _patch(hello, 5, b"\x81"),
            19: _patch(hello, 5, b"\x7f"), 20: _patch(hello, 5, b"\xff"), 21: _patch(hello, 31, b"\x01"),
            22: b"\x81" + bytes(63), 23: z(64), 24: b"hello\x80" + bytes(58), 25: pattern(31) + e + bytes(32),
            26: pattern(255) + e + bytes(16), 27: pattern(1000) + e + bytes(87), 28: z(2**24)}


def check_padding(v: dict, c: Checker, stats: dict, rows: dict) -> None:
    _shape(c, "padding", v, PAD_TOP)
    c.eq("padding.max_padded_len", MAX_PADDED_LEN, v["max_padded_len"])
    c.eq("padding.small_buckets", list(SMALL_BUCKETS), v["small_buckets"])
    # 9.1's worked examples and bucket list
    c.eq("9.1 L(257)", 272, bucket(257))
    c.eq("9.1 L(1001)", 1024, bucket(1001))
    c.eq("9.1 L(65537)", 67584, bucket(65537))
    c.eq("9.1 132 buckets up to 64 KiB", 132, sum(1 for m in range(1, 65537) if is_bucket(m)))
    described = list(SMALL_BUCKETS)
    lo = 256
    for step in (16, 32, 64, 128, 256, 512, 1024, 2048):
        described += list(range(lo + step, 2 * lo + 1, step))
        lo *= 2
    c.eq("9.1 the bucket list up to 64 KiB as described", described, [m for m in range(1, 65537) if is_bucket(m)])
    above = [m for m in range(65536, 131072 + 8193, 1024) if is_bucket(m)]
    c.eq("9.1 above 65536 the step stays 2048 up to 131072, then doubles", [2048] * 32 + [4096] * 2,
         [b - a for a, b in zip(above, above[1:])])
    ratios = [(bucket(n + 1) - n) / n for n in range(1, 65537)]
    c.eq("9.1 overhead: worst 3100%, worst from 256 bytes 6.25%, mean 2.4619%", (3100.0, 6.25, 2.4619),
         (round(100 * max(ratios), 4), round(100 * max(ratios[255:]), 4), round(100 * sum(ratios) / len(ratios), 4)))
    c.eq("9.1 2^24 a bucket", True, is_bucket(2**24))
    c.eq("9.1 next bucket after 2^24", 2**24 + 2**19, bucket(2**24 + 1))
    c.eq("9.1 nothing between 2^24 and 2^24 + 2^19 is a bucket", False, any(is_bucket(2**24 + k) for k in (1, 2**18, 2**19 - 1)))
    c.eq("padding.cases lengths", PAD_LENGTHS, [x.get("plaintext_len") for x in v["cases"]])
    for i, x in enumerate(v["cases"]):
        p = f"padding.cases[{i}]"
        if not _shape(c, p, x, PAD_CASE):
            continue
        pt = pattern(x["plaintext_len"])
        padded = pad(pt)
        c.eq(f"{p}.padded_len", len(padded), x["padded_len"])
        c.eq(f"{p}.padded", padded.hex(), x["padded"])
        try:
            c.eq(f"{p}: unpad", pt.hex(), unpad(H(x["padded"])).hex())
        except Err as e:
            c.fail(p, f"unpad refused: {e}")
        stats["padded"] += 1
    built = pad_negative_inputs()
    coverage(c, "padding.negative", v["negative"], ("SEAL-PAD",), rows, True)
    for i, n in enumerate(v["negative"]):
        p = f"padding.negative[{i}]"
        if not _shape(c, p, n, PAD_NEG):
            continue
        b = padded_input(n)
        c.eq(f"{p}: input rebuilt from the comment", hashlib.sha256(built.get(n["id"], b"?")).hexdigest(),
             hashlib.sha256(b).hexdigest())
        if expect_refusal(c, p, n, rows, unpad, b):
            stats["refused"] += 1


# ---------------------------------------------------------------- certificates.json
CERT_TOP = {"description": ("str", None), "root_seed": ("hex", 32), "root": ("hex", 32), "server": ("obj", None),
            "sender": ("obj", None), "negative": ("list", None)}
CERT_SERVER = {"key_id": ("int", None), "server_key_seed": ("hex", 32), "server_key": ("hex", 32),
               "not_before": ("int", None), "not_after": ("int", None), "signed_message": ("hex", 33 + 54),
               "signature": ("hex", 64), "certificate": ("hex", SERVER_LEN)}
CERT_SENDER = {"account_id": ("hex", 16), "device_id": ("int", None), "signing_seed": ("hex", 32),
               "identity_private": ("hex", 32), "identity": ("hex", 64), "expires": ("int", None),
               "server_key_id": ("int", None), "signed_message": ("hex", 33 + 98), "signature": ("hex", 64),
               "certificate": ("hex", SENDER_LEN), "verify_at": ("int", None)}
CERT_NEG = {"id": ("int", None), "validation_id": ("str", None), "comment": ("str", None), "operation": ("str", None),
            "input": ("hex", None), "now": ("int", None), "revoked": ("list", None), "expected_error": ("str", None)}


def cert_negative_inputs(v: dict) -> dict[int, list[bytes]]:
    """Each negative input rebuilt from its comment. Where a field is replaced (17 to 20, 26, 32)
    the comments do not say whether the certificate was signed again: the file keeps the
    original signature, which this reproduction pins. "A year" is 365 days, "a day" 86400 s."""
    sv, se = v["server"], v["sender"]
    root_seed, srv_seed = H(v["root_seed"]), H(sv["server_key_seed"])
    S, C = H(sv["certificate"]), H(se["certificate"])
    kid, nb, na = sv["key_id"], sv["not_before"], sv["not_after"]
    skey = H(sv["server_key"])
    y2 = (2).to_bytes(32, "little")
    acc, dev, ident, exp = H(se["account_id"]), se["device_id"], H(se["identity"]), se["expires"]
    swapped = server_body(kid, skey, na, nb)
    year = server_body(kid, skey, nb, na + 365 * 86400)
    day = sender_body(acc, dev, ident, exp + 86400, kid)

    def first_point_flip() -> int:
        return next(o for o in range(22, 54) if decode_point(_xor(C, o)[22:54]) is not None)
    return {
        1: [b""], 2: [b""], 3: [_patch(S, 0, b"\x01")], 4: [_patch(S, 0, b"\x18")], 5: [_patch(S, 0, b"\x1f")],
        6: [_patch(S, 0, b"\x2e")], 7: [_patch(C, 0, b"\x18")], 8: [b"\x1e"], 9: [C], 10: [S],
        11: [_patch(S, 1, b"\x03")], 12: [S[:-1]], 13: [S + b"\x00"], 14: [S[:2]], 15: [C[:-1]], 16: [C + b"\x00"],
        17: [_patch(S, 6, y2)],
        18: [_patch(C, 22, y2)],
        19: [_patch(C, 54, b"\xff" * 32)],
        20: [swapped + S[54:]],
        21: [sign_server(OTHER_ROOT_SEED, S[:54])], 22: [_xor(S, 2)], 23: [_xor(S, 45)], 24: [_xor(S, 53)],
        25: [_xor(S, 117)], 26: [year + S[54:]],
        27: [sign_sender(OTHER_SERVER_SEED, C[:98])], 28: [_xor(C, 2)], 29: [_xor(C, 21)],
        30: [_xor(C, first_point_flip())] if first_point_flip() == 25 else [b"<byte 25 is not the first>"],
        31: [_xor(C, 161)], 32: [day + C[98:]],
        33: [sign_sender(srv_seed, sender_body(acc, dev, ident, exp, 8))], 34: [_patch(C, 97, bytes([C[97] ^ 1]))],
        35: [C], 36: [C], 37: [sign_sender(srv_seed, sender_body(acc, dev, ident, 2**64 - 1, kid))], 38: [C],
        39: [sign_server(root_seed, server_body(kid, rd.ed25519_public(OTHER_SERVER_SEED), nb, na))],
    }


def check_certificates(v: dict, c: Checker, stats: dict, rows: dict) -> None:
    _shape(c, "certificates", v, CERT_TOP)
    root_seed = H(v["root_seed"])
    root = rd.ed25519_public(root_seed)
    c.eq("certificates.root", root.hex(), v["root"])
    sv, se = v["server"], v["sender"]
    _shape(c, "certificates.server", sv, CERT_SERVER)
    _shape(c, "certificates.sender", se, CERT_SENDER)
    skey = rd.ed25519_public(H(sv["server_key_seed"]))
    c.eq("certificates.server.server_key", skey.hex(), sv["server_key"])
    body = server_body(sv["key_id"], skey, sv["not_before"], sv["not_after"])
    c.eq("certificates.server.signed_message", (L_SERVER + body).hex(), sv["signed_message"])
    sig = rd.ed25519_sign(root_seed, L_SERVER + body)
    c.eq("certificates.server.signature", sig.hex(), sv["signature"])
    c.eq("certificates.server.certificate", (body + sig).hex(), sv["certificate"])
    store = Store(root)
    try:
        store.add(H(sv["certificate"]))
        store.add(H(sv["certificate"]))  # the same bytes again change nothing
        c.eq("certificates.server: decodes and is stored", [sv["key_id"]], sorted(store.certs))
    except Err as e:
        c.fail("certificates.server", f"refused: {e}")
    ident = identity_of(H(se["signing_seed"]), H(se["identity_private"]))
    c.eq("certificates.sender.identity", ident.hex(), se["identity"])
    c.eq("certificates.sender.server_key_id", sv["key_id"], se["server_key_id"])
    sbody = sender_body(H(se["account_id"]), se["device_id"], ident, se["expires"], se["server_key_id"])
    c.eq("certificates.sender.signed_message", (L_SENDER + sbody).hex(), se["signed_message"])
    ssig = rd.ed25519_sign(H(sv["server_key_seed"]), L_SENDER + sbody)
    c.eq("certificates.sender.signature", ssig.hex(), se["signature"])
    c.eq("certificates.sender.certificate", (sbody + ssig).hex(), se["certificate"])
    for t in (se["verify_at"], sv["not_before"], min(se["expires"], sv["not_after"])):
        try:
            got = sender_verify(H(se["certificate"]), store, t)
            c.eq(f"certificates.sender verifies at {t}", (se["account_id"], se["device_id"], se["identity"]),
                 (got["account_id"].hex(), got["device_id"], got["identity"].hex()))
        except Err as e:
            c.fail("certificates.sender", f"refused at {t}: {e}")
    built = cert_negative_inputs(v)
    coverage(c, "certificates.negative", v["negative"], ("SEAL-CERT",), rows, True)
    ops = {"server_decode", "sender_verify", "store_add"}
    for i, n in enumerate(v["negative"]):
        p = f"certificates.negative[{i}]"
        if not _shape(c, p, n, CERT_NEG):
            continue
        b = H(n["input"])
        cands = built.get(n["id"], [])
        c.eq(f"{p}: input rebuilt from the comment", True, b in cands)
        if b in cands and len(cands) > 1:
            stats["readings"].append(f"certificates #{n['id']}: reading {cands.index(b) + 1} of {len(cands)}")
        c.eq(f"{p}.operation", True, n["operation"] in ops)
        st = Store(root)
        st.add(H(sv["certificate"]))
        st.revoked = set(n["revoked"])
        if n["operation"] == "server_decode":
            fn, args = server_decode, (b, root)
        elif n["operation"] == "sender_verify":
            fn, args = sender_verify, (b, st, n["now"])
        else:
            fn, args = st.add, (b,)
        # The inputs the operation ignores are 0 and [] (the file's convention), the others
        # are the file's times: verify_at, or the boundary a time case's comment names.
        times = {36: sv["not_before"] - 1, 37: sv["not_after"] + 1, 38: se["expires"] + 1}
        want_now = times.get(n["id"], se["verify_at"]) if n["operation"] == "sender_verify" else 0
        c.eq(f"{p}.now", want_now, n["now"])
        c.eq(f"{p}.revoked", [sv["key_id"]] if n["id"] == 35 else [], n["revoked"])
        before = dict(st.certs)
        if expect_refusal(c, p, n, rows, fn, *args):
            stats["refused"] += 1
        c.eq(f"{p}: store unchanged", before, st.certs)


# ---------------------------------------------------------------- sealed.json
PARTY = {"account_id": ("hex", 16), "device_id": ("int", None), "signing_seed": ("hex", 32),
         "identity_private": ("hex", 32), "identity": ("hex", 64)}
SEALED_TOP = {"description": ("str", None), "info_ephemeral": ("hex", 33), "info_static": ("hex", 30),
              "root": ("hex", 32), "server_certificate": ("hex", SERVER_LEN), "sender": ("obj", None),
              "recipients": ("list", None), "single": ("list", None), "multi": ("obj", None), "negative": ("list", None)}
SEALED_SENDER = {"party": ("obj", None), "certificate": ("hex", SENDER_LEN), "compact_certificate": ("hex", COMPACT_LEN),
                 "expires": ("int", None)}
OPENED = {"account_id": ("hex", 16), "device_id": ("int", None), "identity": ("hex", 64), "content_type": ("int", None),
          "message": ("hex", None)}
SINGLE = {"name": ("str", None), "recipient": ("int", None), "content_type": ("int", None), "message": ("hex", None),
          "now": ("int", None), "e_private": ("hex", 32), "e_pub": ("hex", 32), "e1": ("hex", 32), "okm1": ("hex", 76),
          "chain": ("hex", 32), "key1": ("hex", 32), "nonce1": ("hex", 12), "header1": ("hex", 34),
          "layer1_ct": ("hex", 80), "s": ("hex", 32), "okm2": ("hex", 44), "key2": ("hex", 32), "nonce2": ("hex", 12),
          "compact_certificate": ("hex", COMPACT_LEN), "padded_message": ("hex", None), "inner": ("hex", None),
          "header2": ("hex", 114), "layer2_ct": ("hex", None), "envelope": ("hex", None), "envelope_len": ("int", None),
          "overhead": ("int", None), "opened": ("obj", None)}
MULTI = {"recipients": ("list", None), "content_type": ("int", None), "message": ("hex", None), "now": ("int", None),
         "e_private": ("hex", 32), "e_pub": ("hex", 32), "content_key": ("hex", 32), "header1": ("hex", 34),
         "compact_certificate": ("hex", COMPACT_LEN), "padded_message": ("hex", None), "inner": ("hex", None),
         "content_ct": ("hex", None), "content_ct_sha512": ("hex", 64), "entries": ("list", None), "sent": ("hex", None),
         "sent_len": ("int", None)}
ENTRY = {"recipient": ("int", None), "address": ("hex", 20), "e1": ("hex", 32), "okm1": ("hex", 76), "chain": ("hex", 32),
         "key1": ("hex", 32), "nonce1": ("hex", 12), "layer1_ct": ("hex", 80), "s": ("hex", 32), "okm2": ("hex", 44),
         "key2": ("hex", 32), "nonce2": ("hex", 12), "wrap_ad": ("hex", 34 + 80 + 64), "wrap": ("hex", 48),
         "entry": ("hex", ENTRY_LEN), "received": ("hex", None), "opened": ("obj", None)}
SEALED_NEG = {"id": ("int", None), "validation_id": ("str", None), "comment": ("str", None), "operation": ("str", None),
              "recipient": ("int", None), "now": ("int", None), "revoked": ("list", None), "input": ("hex", None),
              "expected_error": ("str", None)}


def _cmp(c: Checker, p: str, x: dict, got: dict, keys) -> None:
    for k in keys:
        g = got[k]
        c.eq(f"{p}.{k}", g.hex() if isinstance(g, bytes) else g, x[k])


def sealed_negative_inputs(v: dict, sender: dict, recips: list, cert: bytes) -> dict[int, bytes]:
    env0, env2 = H(v["single"][0]["envelope"]), H(v["single"][2]["envelope"])
    sent, rec0 = H(v["multi"]["sent"]), H(v["multi"]["entries"][0]["received"])
    s_ident, s_xpriv = H(sender["identity"]), H(sender["identity_private"])
    r0 = H(recips[0]["identity"])
    comp = compact(cert)
    zero147 = bytes(147)
    u1 = (1).to_bytes(32, "little")

    def forge(layer1_ident: bytes, s: bytes | None, inner: bytes | None) -> bytes:
        return seal_single(FORGED_E, r0, layer1_ident, s, inner, raw_layer2=zero147 if s is None else None)["envelope"]
    s_own = dh(s_xpriv, r0[32:64])
    r4 = recips[4]
    s_r4 = dh(H(r4["identity_private"]), r0[32:64])
    empty_inner = b"\x01" + comp + pad(b"")
    # SEAL-ENV-08: a content under 0x4b x 32, a wrap of multi.content_key, to entries[0]'s recipient
    m = v["multi"]
    e0 = m["entries"][0]
    rr = recips[e0["recipient"]]
    header1 = bytes([T_ENV, SUB_MULTI]) + x25519_public(FORGED_E)
    content_ct = aead(FOREIGN_K, bytes(12), header1, H(m["inner"]))
    ent = multi_entry(FORGED_E, header1, rr, s_ident, dh(s_xpriv, H(rr["identity"])[32:64]), H(m["content_key"]), content_ct)
    count = lambda n: _patch(sent, 34, n.to_bytes(2, "big"))  # noqa: E731
    ents = [sent[36 + ENTRY_LEN * i: 36 + ENTRY_LEN * (i + 1)] for i in range(3)]
    return {
        1: b"", 2: _patch(env0, 0, b"\x1e"), 3: b"\x1f", 4: sent, 5: env0[:-1], 6: _patch(env0, 1, b"\x02"), 7: rec0[:-1],
        8: _patch(env0, 2, bytes(32)), 9: _patch(env0, 2, u1), 10: _xor(env0, 33, 0x80),
        11: _patch(env0, 2, (P + 1).to_bytes(32, "little")),
        12: forge(s_ident[:32] + u1, None, None), 13: _xor(env0, 113), 14: _xor(env0, 2), 15: _patch(env2, 1, b"\x02"),
        16: env0, 17: forge(s_ident[:32] + b"\xff" * 32, None, None),
        18: forge((2).to_bytes(32, "little") + s_ident[32:], None, None),
        19: _xor(env0, len(env0) - 1), 20: env0 + b"\x00", 21: _xor(rec0, 114), 22: _xor(rec0, len(rec0) - 1),
        23: ent["received"],
        24: forge(H(r4["identity"]), s_r4, empty_inner),
        25: forge(H(r4["identity"])[:32] + s_ident[32:], s_own, empty_inner),
        26: env0, 27: forge(s_ident, s_own, b"\x01" + _xor(comp, 33) + pad(b"")),
        28: forge(s_ident, s_own, b"\x01" + comp + b"\x80" + bytes(63)),
        29: forge(s_ident, s_own, b"\x01" + comp + bytes(32)),
        30: forge(s_ident, s_own, b"\x01" + comp + b"\x80" + bytes(32)),
        31: env0, 32: b"", 33: _patch(sent, 0, b"\x1e"), 34: b"\x1f", 35: rec0, 36: count(0), 37: count(1025),
        38: sent[:35], 39: sent[:-1], 40: count(4),
        41: sent[:36] + ents[1] + ents[0] + ents[2] + sent[36 + 3 * ENTRY_LEN:],
        42: sent[:36] + ents[0] + ents[1] + ents[1] + sent[36 + 3 * ENTRY_LEN:],
    }


def check_sealed(v: dict, c: Checker, stats: dict, rows: dict, cv: dict) -> None:
    _shape(c, "sealed", v, SEALED_TOP)
    c.eq("sealed.info_ephemeral", L_EPH.hex(), v["info_ephemeral"])
    c.eq("sealed.info_static", L_STATIC.hex(), v["info_static"])
    c.eq("sealed.root = certificates.root", cv["root"], v["root"])
    c.eq("sealed.server_certificate = certificates.server.certificate", cv["server"]["certificate"], v["server_certificate"])
    root = H(v["root"])
    store = Store(root)
    store.add(H(v["server_certificate"]))
    sd = v["sender"]
    _shape(c, "sealed.sender", sd, SEALED_SENDER)
    sp = sd["party"]
    _shape(c, "sealed.sender.party", sp, PARTY)
    cs = cv["sender"]
    for k in ("account_id", "device_id", "signing_seed", "identity_private", "identity"):
        c.eq(f"sealed.sender.party.{k} = certificates.sender.{k}", cs[k], sp[k])
    s_ident = identity_of(H(sp["signing_seed"]), H(sp["identity_private"]))
    c.eq("sealed.sender.party.identity", s_ident.hex(), sp["identity"])
    c.eq("sealed.sender.certificate = certificates.sender.certificate", cs["certificate"], sd["certificate"])
    cert = H(sd["certificate"])
    c.eq("sealed.sender.compact_certificate", compact(cert).hex(), sd["compact_certificate"])
    c.eq("sealed.sender.expires", be(cert[86:94]), sd["expires"])
    c.eq("sealed.sender: certificate identity is the sender's (seal's first check)", s_ident, cert[22:86])
    recips = v["recipients"]
    c.eq("sealed.recipients: 5 parties", 5, len(recips))
    for i, r in enumerate(recips):
        _shape(c, f"sealed.recipients[{i}]", r, PARTY)
        c.eq(f"sealed.recipients[{i}].identity", identity_of(H(r["signing_seed"]), H(r["identity_private"])).hex(), r["identity"])
    s_xpriv = H(sp["identity_private"])
    opened_sender = {"account_id": sp["account_id"], "device_id": sp["device_id"], "identity": sp["identity"]}
    # single
    for i, x in enumerate(v["single"]):
        p = f"sealed.single[{i}]"
        if not _shape(c, p, x, SINGLE):
            continue
        r = recips[x["recipient"]]
        r_ident = H(r["identity"])
        s = dh(s_xpriv, r_ident[32:64])
        padded = pad(H(x["message"]))
        inner = bytes([x["content_type"]]) + compact(cert) + padded
        got = seal_single(H(x["e_private"]), r_ident, s_ident, s, inner)
        got.update(compact_certificate=compact(cert), padded_message=padded, envelope_len=len(got["envelope"]),
                   overhead=len(got["envelope"]) - len(padded))
        _cmp(c, p, x, got, ("e_pub", "e1", "okm1", "chain", "key1", "nonce1", "header1", "layer1_ct", "s", "okm2",
                            "key2", "nonce2", "compact_certificate", "padded_message", "inner", "header2", "layer2_ct",
                            "envelope", "envelope_len", "overhead"))
        c.eq(f"{p}.overhead = OVERHEAD", OVERHEAD, x["overhead"])
        _shape(c, f"{p}.opened", x["opened"], OPENED)
        try:
            op = open_envelope(r_ident, H(r["identity_private"]), store, x["now"], H(x["envelope"]))
            c.eq(f"{p}.opened", x["opened"], op)
            c.eq(f"{p}.opened: sender and message", dict(opened_sender, content_type=x["content_type"], message=x["message"]), op)
            stats["opened"] += 1
        except Err as e:
            c.fail(p, f"open refused: {e}")
    # seal() writes the same bytes as the formulas; its refusals (9.3 "Sealing"), each named in section 5
    x0 = v["single"][0]
    r0 = recips[x0["recipient"]]
    c.eq("sealed: seal() = single[0].envelope", x0["envelope"],
         seal(s_ident, s_xpriv, cert, H(r0["identity"]), x0["content_type"], H(x0["message"]), H(x0["e_private"])).hex())
    small = H(r0["identity"])[:32] + bytes(32)
    other_cert = expand(compact(cert), H(recips[4]["identity"]))
    for what, args, vid, err in (
            ("a certificate not its own", (other_cert, H(r0["identity"]), b""), "SEAL-ENV-09", "SealError::CertificateMismatch"),
            ("a message too long to pad, and a small-order recipient", (cert, small, bytes(2**24)), "SEAL-PAD-01", "SealError::Padding"),
            ("a small-order recipient (u = 0)", (cert, small, b""), "SEAL-ENV-04", "SealError::NonContributory")):
        try:
            seal(s_ident, s_xpriv, args[0], args[1], 1, args[2], H(x0["e_private"]))
            c.fail(f"sealed: seal refuses {what}", "accepted")
        except Err as e:
            c.eq(f"sealed: seal refuses {what}", (vid, err), (e.vid, e.error))
            if vid != "SEAL-PAD-01":
                c.eq(f"sealed: {err} named in section 5's row of {vid}", True, error_named(rows, vid, err))
    # the constants of 9.3 and 9.4 agree with each other
    c.eq("9.3 MIN_LEN = OVERHEAD + 32, MAX_LEN = OVERHEAD + 2^24", (MIN_LEN, MAX_LEN), (OVERHEAD + 32, OVERHEAD + 2**24))
    c.eq("9.4 MULTI_MIN_LEN, MULTI_MAX_LEN", (MULTI_MIN_LEN, MULTI_MAX_LEN), (MULTI_OVERHEAD + 32, MULTI_OVERHEAD + 2**24))
    c.eq("9.4 MIN_CONTENT_LEN, MAX_CONTENT_LEN = 99 + L + 16", (MIN_CONTENT_LEN, MAX_CONTENT_LEN), (99 + 32 + 16, 99 + 2**24 + 16))
    c.eq("9.3 inner holds 99 + 32 bytes at the lower bounds", (131, 131), (MIN_LEN - 114 - 16, MULTI_MIN_LEN - 162 - 16))
    # a received envelope relabelled 0x01 is refused (9.4's tests), at layer 1
    rec = H(v["multi"]["entries"][0]["received"])
    rr = recips[v["multi"]["entries"][0]["recipient"]]
    try:
        open_envelope(H(rr["identity"]), H(rr["identity_private"]), store, v["multi"]["now"], _patch(rec, 1, b"\x01"))
        c.fail("sealed: a received envelope relabelled 0x01", "opened")
    except Err as e:
        c.eq("sealed: a received envelope relabelled 0x01", "SEAL-ENV-05", e.vid)
    c.eq("sealed: every case opens at certificates.sender.verify_at", [cs["verify_at"]] * (len(v["single"]) + 1),
         [x["now"] for x in v["single"]] + [v["multi"]["now"]])
    c.eq("sealed.single: messages of 0, 100, 300 bytes", [0, 100, 300], [len(x["message"]) // 2 for x in v["single"]])
    c.eq("sealed.single[2]: padded to 304", 304, len(v["single"][2]["padded_message"]) // 2)
    # multi
    m = v["multi"]
    _shape(c, "sealed.multi", m, MULTI)
    c.eq("sealed.multi.recipients: 1 to 3", [1, 2, 3], sorted(m["recipients"]))
    addr = lambda i: H(recips[i]["account_id"]) + u32(recips[i]["device_id"])  # noqa: E731
    c.eq("sealed.multi.recipients: deliberately not sorted by address", True,
         m["recipients"] != sorted(m["recipients"], key=addr))
    c.eq("sealed.recipients 1 to 3: two devices of one account, one of another", [1, 2],
         sorted([len({recips[i]["account_id"] for i in (1, 2, 3)}), len({recips[i]["account_id"] for i in (2, 3)})]))
    c.eq("sealed.single: all to recipients[0]", [0] * len(v["single"]), [x["recipient"] for x in v["single"]])
    e_priv, k = H(m["e_private"]), H(m["content_key"])
    e_pub = x25519_public(e_priv)
    c.eq("sealed.multi.e_pub", e_pub.hex(), m["e_pub"])
    header1 = bytes([T_ENV, SUB_MULTI]) + e_pub
    c.eq("sealed.multi.header1", header1.hex(), m["header1"])
    c.eq("sealed.multi.compact_certificate", compact(cert).hex(), m["compact_certificate"])
    padded = pad(H(m["message"]))
    c.eq("sealed.multi.padded_message", padded.hex(), m["padded_message"])
    inner = bytes([m["content_type"]]) + compact(cert) + padded
    c.eq("sealed.multi.inner", inner.hex(), m["inner"])
    content_ct = aead(k, bytes(12), header1, inner)
    c.eq("sealed.multi.content_ct", content_ct.hex(), m["content_ct"])
    c.eq("sealed.multi.content_ct length 99 + L + 16", 99 + len(padded) + 16, len(content_ct))
    c.eq("sealed.multi.content_ct_sha512", hashlib.sha512(content_ct).hexdigest(), m["content_ct_sha512"])
    built = []
    for ri in m["recipients"]:
        r = recips[ri]
        ent = multi_entry(e_priv, header1, r, s_ident, dh(s_xpriv, H(r["identity"])[32:64]), k, content_ct)
        ent["recipient"] = ri
        built.append(ent)
    built.sort(key=lambda e: e["address"])
    c.eq("sealed.multi.entries: count", len(built), len(m["entries"]))
    c.eq("sealed.multi.entries: addresses strictly increasing", True,
         all(built[j]["address"] < built[j + 1]["address"] for j in range(len(built) - 1)))
    sent = bytes([T_ENV, SUB_SENT]) + e_pub + len(built).to_bytes(2, "big") + b"".join(e["entry"] for e in built) + content_ct
    c.eq("sealed.multi.sent", sent.hex(), m["sent"])
    c.eq("sealed.multi.sent_len", len(sent), m["sent_len"])
    c.eq("sealed.multi.sent_len = 36 + 148 n + 115 + L", 36 + 148 * len(built) + 115 + len(padded), m["sent_len"])
    try:
        split = parse_sent(H(m["sent"]))
    except Err as e:
        c.fail("sealed.multi.sent", f"the relay refused it: {e}")
        split = []
    c.eq("sealed.multi: every received envelope has the same length", 1, len({len(x.get("received", "")) for x in m["entries"]}))
    for j, (x, ent) in enumerate(zip(m["entries"], built)):
        p = f"sealed.multi.entries[{j}]"
        if not _shape(c, p, x, ENTRY):
            continue
        c.eq(f"{p}.recipient", ent["recipient"], x["recipient"])
        _cmp(c, p, x, ent, ("address", "e1", "okm1", "chain", "key1", "nonce1", "layer1_ct", "s", "okm2", "key2",
                            "nonce2", "wrap_ad", "wrap", "entry", "received"))
        c.eq(f"{p}.received = split()[{j}]", split[j].hex() if j < len(split) else None, x["received"])
        c.eq(f"{p}.received length 277 + L", MULTI_OVERHEAD + len(padded), len(x["received"]) // 2)
        r = recips[x["recipient"]]
        _shape(c, f"{p}.opened", x["opened"], OPENED)
        try:
            op = open_envelope(H(r["identity"]), H(r["identity_private"]), store, m["now"], H(x["received"]))
            c.eq(f"{p}.opened", x["opened"], op)
            c.eq(f"{p}.opened: sender and message", dict(opened_sender, content_type=m["content_type"], message=m["message"]), op)
            stats["opened"] += 1
        except Err as e:
            c.fail(p, f"open refused: {e}")
        # no other recipient opens it
        for oi in m["recipients"]:
            if oi != x["recipient"]:
                o = recips[oi]
                try:
                    open_envelope(H(o["identity"]), H(o["identity_private"]), store, m["now"], H(x["received"]))
                    c.fail(p, f"recipients[{oi}] opened another's envelope")
                except Err as e:
                    c.eq(f"{p}: recipients[{oi}] refused (Layer1)", "SEAL-ENV-05", e.vid)
    # negatives
    inputs = sealed_negative_inputs(v, sp, recips, cert)
    coverage(c, "sealed.negative", v["negative"], ("SEAL-ENV", "SEAL-MR"), rows, False)
    for i, n in enumerate(v["negative"]):
        p = f"sealed.negative[{i}]"
        if not _shape(c, p, n, SEALED_NEG):
            continue
        b = H(n["input"])
        c.eq(f"{p}: input rebuilt from the comment", hashlib.sha256(inputs.get(n["id"], b"?")).hexdigest(),
             hashlib.sha256(b).hexdigest())
        if n["operation"] == "open":
            want_r = {4: 3, 7: 3, 16: 3, 21: 3, 22: 3, 23: m["entries"][0]["recipient"]}.get(n["id"], 0)
            c.eq(f"{p}.recipient", want_r, n["recipient"])
            c.eq(f"{p}.now", sd["expires"] + 1 if n["id"] == 26 else v["single"][0]["now"], n["now"])
            c.eq(f"{p}.revoked", [cs["server_key_id"]] if n["id"] == 31 else [], n["revoked"])
        else:
            c.eq(f"{p}: recipient, now, revoked unused by split", (0, 0, []), (n["recipient"], n["now"], n["revoked"]))
        if n["operation"] == "open":
            r = recips[n["recipient"]]
            st = Store(root)
            st.add(H(v["server_certificate"]))
            st.revoked = set(n["revoked"])
            fn, args = open_envelope, (H(r["identity"]), H(r["identity_private"]), st, n["now"], b)
        elif n["operation"] == "split":
            fn, args = parse_sent, (b,)
        else:
            c.fail(p, f"unknown operation {n['operation']!r}")
            continue
        e = expect_refusal(c, p, n, rows, fn, *args)
        if e:
            stats["refused"] += 1
            if n["id"] in (41, 42):
                c.eq(f"{p}: Order index", f"index {n['id'] - 40}", e.why)


# ---------------------------------------------------------------- access-tokens.json
TOK_TOP = {"description": ("str", None), "content_type_message": ("int", None), "content_type_profile_key": ("int", None),
           "share_version": ("int", None), "cases": ("list", None), "rotation": ("obj", None), "negative": ("list", None)}
TOK_CASE = {"name": ("str", None), "profile_key": ("hex", 32), "share": ("hex", 33), "access_key": ("hex", 16),
            "verifier": ("hex", 32)}
TOK_ROT = {"old_profile_key": ("hex", 32), "old_access_key": ("hex", 16), "old_verifier": ("hex", 32),
           "new_profile_key": ("hex", 32), "new_access_key": ("hex", 16), "new_verifier": ("hex", 32),
           "old_token_after_rotation": ("str", None)}
TOK_NEG = {"id": ("int", None), "validation_id": ("str", None), "comment": ("str", None), "operation": ("str", None),
           "input": ("hex", None), "verifier": ("hex", None), "expected_error": ("str", None)}
TOK_PATTERNS = [bytes(32), bytes(range(32)), b"\xff" * 32, bytes(0xA5 ^ i for i in range(32)),
                bytes((7 * i + 3) % 256 for i in range(32))]


def check_tokens(v: dict, c: Checker, stats: dict, rows: dict) -> None:
    _shape(c, "access-tokens", v, TOK_TOP)
    c.eq("access-tokens.content_type_message", 1, v["content_type_message"])
    c.eq("access-tokens.content_type_profile_key", 2, v["content_type_profile_key"])
    c.eq("access-tokens.share_version", 1, v["share_version"])
    c.eq("access-tokens.cases: the profile keys of their names", [x.hex() for x in TOK_PATTERNS],
         [x.get("profile_key") for x in v["cases"]])
    for i, x in enumerate(v["cases"]):
        p = f"access-tokens.cases[{i}]"
        if not _shape(c, p, x, TOK_CASE):
            continue
        pk = H(x["profile_key"])
        ak = access_key(pk)
        c.eq(f"{p}.share", share_of(pk).hex(), x["share"])
        c.eq(f"{p}.access_key", ak.hex(), x["access_key"])
        c.eq(f"{p}.verifier", verifier_of(ak).hex(), x["verifier"])
        try:
            c.eq(f"{p}: share decodes", x["profile_key"], from_share(H(x["share"])).hex())
            check_token(H(x["access_key"]), H(x["verifier"]))
            c.checks += 1
            stats["tokens"] += 1
        except Err as e:
            c.fail(p, f"refused: {e}")
    rot = v["rotation"]
    _shape(c, "access-tokens.rotation", rot, TOK_ROT)
    for w in ("old", "new"):
        ak = access_key(H(rot[f"{w}_profile_key"]))
        c.eq(f"access-tokens.rotation.{w}_access_key", ak.hex(), rot[f"{w}_access_key"])
        c.eq(f"access-tokens.rotation.{w}_verifier", verifier_of(ak).hex(), rot[f"{w}_verifier"])
    try:
        check_token(H(rot["old_access_key"]), H(rot["new_verifier"]))
        c.fail("access-tokens.rotation", "the old token passed the new verifier")
    except Err as e:
        c.eq("access-tokens.rotation.old_token_after_rotation", rot["old_token_after_rotation"], e.error)
    c1 = v["cases"][1]
    pk1, ak1, vf1 = H(c1["profile_key"]), H(c1["access_key"]), H(c1["verifier"])
    sh1 = share_of(pk1)
    built = {1: (b"", b""), 2: (_patch(sh1, 0, b"\x00"), b""), 3: (_patch(sh1, 0, b"\x02"), b""),
             4: (_patch(sh1, 0, b"\x11"), b""), 5: (_patch(sh1, 0, b"\xff"), b""), 6: (_patch(sh1, 0, b"\x02")[:10], b""),
             7: (b"\x01", b""), 8: (sh1[:32], b""), 9: (sh1 + b"\x00", b""), 10: (sh1 + pk1, b""),
             11: (b"", b""), 12: (ak1[:15], b""), 13: (ak1 + b"\x00", b""), 14: (pk1, b""),
             15: (b"", b""), 16: (vf1[:31], b""), 17: (vf1 + b"\x00", b""),
             18: (_xor(ak1, 0, 0x01), vf1), 19: (_xor(ak1, 15, 0x80), vf1), 20: (H(v["cases"][0]["access_key"]), vf1),
             21: (pk1[:16], vf1), 22: (vf1[:16], vf1), 23: (H(rot["old_access_key"]), H(rot["new_verifier"]))}
    coverage(c, "access-tokens.negative", v["negative"], ("SEAL-TOK",), rows, True)
    ops = {"share": lambda b, _v: from_share(b), "access_key": lambda b, _v: access_key_from_bytes(b),
           "verifier": lambda b, _v: verifier_from_bytes(b), "check": check_token}
    for i, n in enumerate(v["negative"]):
        p = f"access-tokens.negative[{i}]"
        if not _shape(c, p, n, TOK_NEG):
            continue
        c.eq(f"{p}: input and verifier rebuilt from the comment", built.get(n["id"]), (H(n["input"]), H(n["verifier"])))
        fn = ops.get(n["operation"])
        if fn is None:
            c.fail(p, f"unknown operation {n['operation']!r}")
            continue
        before = n["verifier"]
        if expect_refusal(c, p, n, rows, fn, H(n["input"]), H(n["verifier"])):
            stats["refused"] += 1
        c.eq(f"{p}: verifier unchanged", before, n["verifier"])


# ---------------------------------------------------------------- driver
def new_stats() -> dict:
    return {"padded": 0, "opened": 0, "tokens": 0, "refused": 0, "readings": []}


def run_all(spec: str, files: dict) -> tuple[Checker, dict]:
    c, stats, rows = Checker(), new_stats(), {}
    steps = ((check_spec, (spec, c, rows)), (check_padding, (files[PAD_FILE], c, stats, rows)),
             (check_certificates, (files[CERT_FILE], c, stats, rows)),
             (check_sealed, (files[SEALED_FILE], c, stats, rows, files[CERT_FILE])),
             (check_tokens, (files[TOK_FILE], c, stats, rows)))
    for fn, args in steps:
        try:
            fn(*args)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, AssertionError, Err, StopIteration) as e:
            c.fail(fn.__name__, f"cannot check: {type(e).__name__}: {e}")
    return c, stats


def _values(o, path=()):
    if isinstance(o, dict):
        for k, x in o.items():
            yield from _values(x, path + (k,))
    elif isinstance(o, list):
        for i, x in enumerate(o):
            yield from _values(x, path + (i,))
    elif isinstance(o, bool):
        yield path, o
    elif isinstance(o, int):
        yield path, o
    elif isinstance(o, str) and o and re.fullmatch(r"(?:[0-9a-f]{2})+", o) and path[-1] not in ("comment", "description"):
        yield path, o


def mutate_value(x, rnd: random.Random):
    if isinstance(x, bool):
        return not x
    if isinstance(x, int):
        return x + rnd.choice((1, -1)) if x > 0 else x + 1
    i = rnd.randrange(len(x))
    return x[:i] + rnd.choice([d for d in "0123456789abcdef" if d != x[i]]) + x[i + 1:]


def _set(o, path, val):
    for k in path[:-1]:
        o = o[k]
    o[path[-1]] = val


def _del(o, path):
    for k in path[:-1]:
        o = o[k]
    del o[path[-1]]


def self_test(spec: str, files: dict, per_file: int = 16) -> bool:
    ok, n = True, 0
    rnd = random.Random(20261204)
    for fname, v in files.items():
        vals = list(_values(v))
        picks = [vals[rnd.randrange(len(vals))] for _ in range(per_file)]
        muts = [(f"{'.'.join(map(str, pth))} changed", pth, mutate_value(x, rnd)) for pth, x in picks]
        muts.append(("unknown top-level field", ("extra",), 1))
        # an unknown field inside a nested object (the first negative case)
        muts.append(("unknown field in negative[0]", ("negative", 0, "extra"), ""))
        # an expected error changed to another name of its own row
        muts.append(("negative[0].expected_error changed", ("negative", 0, "expected_error"), "PaddingError::Other"))
        for desc, pth, val in muts:
            w = {k: (copy.deepcopy(x) if k == fname else x) for k, x in files.items()}
            _set(w[fname], pth, val)
            n += 1
            if not run_all(spec, w)[0].errors:
                print(f"self-test: mutation NOT detected: {fname}: {desc}")
                ok = False
        dict_paths = [pth[:-1] for pth, _ in vals if pth[:-1] and not isinstance(pth[-1], int)]
        drops = [(next(iter(v)),), ("negative", 0, "validation_id")]
        for _ in range(3):  # a random field of a random nested object
            d = dict_paths[rnd.randrange(len(dict_paths))]
            o = v
            for k in d:
                o = o[k]
            drops.append(d + (sorted(o)[rnd.randrange(len(o))],))
        for pth in drops:
            w = {k: (copy.deepcopy(x) if k == fname else x) for k, x in files.items()}
            _del(w[fname], pth)
            n += 1
            if not run_all(spec, w)[0].errors:
                print(f"self-test: a missing field NOT detected: {fname}: {'.'.join(map(str, pth))}")
                ok = False
    for old, new, what in (("`Sotto/1 sealed envelope static`", "`Sotto/1 sealed envelope statics`", "a section 2 label"),
                           ("| SEAL-MR-05 |", "| SEAL-MR-5 |", "a section 5 row"),
                           ("`CertificateError::Revoked`", "`CertificateError::Revocation`", "a section 5 error name")):
        n += 1
        if not run_all(spec.replace(old, new), files)[0].errors:
            print(f"self-test: a changed {what} was NOT detected")
            ok = False
    # crafted checks of the primitives
    n += 1
    if x25519(bytes(32), (1).to_bytes(32, "little")) != bytes(32) or bucket(256) != 256 or bucket(257) != 272:
        print("self-test: primitives wrong")
        ok = False
    print(f"self-test: {n} mutations: {'all detected' if ok else 'SOME NOT DETECTED'}")
    return ok


def main(argv: list[str]) -> int:
    vectors, spec_path, st = DEFAULT_VECTORS, DEFAULT_SPEC, False
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--self-test":
            st = True
        elif a in ("--vectors", "--spec") and args:
            val = Path(args.pop(0))
            if a == "--vectors":
                vectors = val
            else:
                spec_path = val
        else:
            print(__doc__)
            return 2
    t0 = time.monotonic()
    try:
        spec = spec_path.read_text(encoding="utf-8")
        files = {f: json.loads((vectors / f).read_text(encoding="utf-8")) for f in FILES}
    except (OSError, ValueError) as e:
        print(f"reproduce_sealed: FAIL: cannot load: {e}")
        return 1
    c, s = run_all(spec, files)
    for e in c.errors:
        print(e)
    for r in s["readings"]:
        print(f"note: {r}")
    ok = not c.errors
    if st and ok:
        ok &= self_test(spec, files)
    print(f"reproduce_sealed: {'OK' if ok else 'FAIL'}: {c.checks} checks, {len(c.errors)} mismatch(es); "
          f"{s['padded']} paddings, {s['opened']} envelopes opened, {s['tokens']} tokens rebuilt; "
          f"{s['refused']} negative vectors refused ({time.monotonic() - t0:.2f}s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
