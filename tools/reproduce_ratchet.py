#!/usr/bin/env python3
"""Independent reproduction of the Sotto/1 Double Ratchet test vectors.

This is an independent implementation written from docs/protocol.md alone (chapters 1-6),
without reading any of the Rust sources (crates/, tests/, fuzz/). It exists to check that the
specification is complete: if this file reproduces every byte of docs/vectors/ratchet.json and
docs/vectors/ratchet-header-encryption.json, the document is enough to interoperate.

What is checked, for each file (every field of the file is either an input the spec says is
chosen by the vector script, or is recomputed here and compared):
  * the file's shape: exactly the fields of section 6, lower-case hex, the byte lengths the spec
    gives (32-byte keys, 40-byte headers, 12-byte nonces, 16-byte salts, ...);
  * `labels` against section 2's table, parsed from docs/protocol.md and also hard-coded here
    (the table must be self-consistent: ASCII, length and hex agree);
  * the random draws: every draw is consumed, in order, with exactly the requested length;
  * every field of every message, recomputed when the message is sent (section 3.6), and the
    plaintext of every delivery, decrypted from the vector's wire bytes (section 3.7);
  * all four pickles: the live `state` and `pickle` bytes, and the other direction: the vector's
    pickle is opened with its key, parsed per chapter 4 (including every skipped entry) and the
    parsed fields are compared one by one to the live session;
  * completeness of the pickle: the conversation is replayed a second time from sessions restored
    from the vector's *start* pickles and must give the same messages and end pickles;
  * the end pickles: restored, they must decrypt the messages that were never delivered (their
    stored keys), refuse every replay without a state change, and keep talking;
  * the scenario claims of section 6 (21 messages, gap, delayed message, ...);
  * every case of docs/vectors/ratchet-negative.json (section 6.1): the operation it names, run with this
    implementation, refuses with the case's validation ID (through section 5's table, parsed from
    docs/protocol.md: an ID with no error of its own, RAT-11 and RAT-12, is shown by the refusal whose ID lists the
    case's `expected_error`), the session is unchanged, and every RAT- and PKL- ID has a case.

Usage: python3 tools/reproduce_ratchet.py [--self-test] [VECTOR_DIR]     (default: docs/vectors)
  --self-test  also mutates in-memory copies of the vectors (one byte of a nonce, a pickle, a
               label, an extra draw, ...) and of the negative cases (an ID, an input, a context length, a state),
               and asserts the checker reports every mutation.
Needs the `cryptography` package (pip install cryptography). Exits non-zero on any mismatch.
"""
from __future__ import annotations

import copy
import json
import os
import re
import struct
import sys
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "docs" / "protocol.md"

# ---------------------------------------------------------------- chapter 2: labels (hard-coded copy of the table)
LABEL_TABLE = [
    ("RATCHET_ROOT", "Sotto/1 ratchet root"),
    ("RATCHET_ROOT_HE", "Sotto/1 ratchet root header-encryption"),
    ("RATCHET_HE_INIT", "Sotto/1 ratchet header-encryption init"),
    ("MESSAGE_KEYS", "Sotto/1 message keys"),
    ("HEADER_KEYS", "Sotto/1 header keys"),
    ("PICKLE_KEYS", "Sotto/1 pickle keys"),
    ("HANDSHAKE_X3DH", "Sotto/1 X3DH X25519 SHA-256"),
    ("HANDSHAKE_PQXDH", "Sotto/1 PQXDH X25519 SHA-256 ML-KEM-768"),
    ("HANDSHAKE_REPLAY_TAG", "Sotto/1 handshake replay tag"),
    ("SIGNED_PREKEY_SIGNATURE", "Sotto/1 signed prekey"),
    ("KEM_PREKEY_SIGNATURE", "Sotto/1 ML-KEM prekey"),
    ("DEVICE_LIST_SIGNATURE", "Sotto/1 device list"),
    ("SAFETY_NUMBER", "Sotto/1 safety number"),
    ("LINK_CODE_CHECKSUM", "Sotto/1 link code checksum"),
    ("LINK_CHANNEL", "Sotto/1 link channel"),
    ("STORE_KEYS", "Sotto/1 store keys"),
    ("SEALED_SERVER_CERTIFICATE", "Sotto/1 sealed server certificate"),
    ("SEALED_SENDER_CERTIFICATE", "Sotto/1 sealed sender certificate"),
    ("SEALED_ENVELOPE_EPHEMERAL", "Sotto/1 sealed envelope ephemeral"),
    ("SEALED_ENVELOPE_STATIC", "Sotto/1 sealed envelope static"),
    ("SEALED_ACCESS_KEY", "Sotto/1 sealed access key"),
    ("SEALED_ACCESS_VERIFIER", "Sotto/1 sealed access verifier"),
    ("RELAY_REGISTRATION", "Sotto/1 relay registration"),
    ("CLIENT_STATE", "Sotto/1 client state"),
]
_L = {name: ascii_.encode("ascii") for name, ascii_ in LABEL_TABLE}
RATCHET_ROOT, RATCHET_ROOT_HE, RATCHET_HE_INIT = _L["RATCHET_ROOT"], _L["RATCHET_ROOT_HE"], _L["RATCHET_HE_INIT"]
MESSAGE_KEYS, HEADER_KEYS, PICKLE_KEYS = _L["MESSAGE_KEYS"], _L["HEADER_KEYS"], _L["PICKLE_KEYS"]

U32_MAX = 2**32 - 1
# Type tags (protocol.md, "Type tags"): format version 1 in the high nibble.
V_STD, V_HE, T_SESSION_PICKLE = 0x11, 0x12, 0x15
LIMIT_CAP = 100000  # section 3.1: configured limits above this are clamped


class ProtocolError(Exception):
    """An error carrying the spec's validation ID (RAT-xx / PKL-xx) as `code`."""

    def __init__(self, code: str, msg: str = ""):
        super().__init__(f"{code} {msg}".strip())
        self.code = code


class VectorError(Exception):
    """The vector file itself is inconsistent (not a protocol error)."""


# ---------------------------------------------------------------- chapter 1: primitives
def u16be(x: int) -> bytes:
    return struct.pack(">H", x)


def u32be(x: int) -> bytes:
    return struct.pack(">I", x)


def public_key(priv: bytes) -> bytes:
    # `cryptography` clamps inside X25519; the stored private bytes stay as drawn (chapter 1).
    return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def dh(priv: bytes, pub: bytes) -> bytes:
    try:
        out = X25519PrivateKey.from_private_bytes(priv).exchange(X25519PublicKey.from_public_bytes(pub))
    except ValueError as e:  # OpenSSL refuses an all-zero shared secret itself
        raise ProtocolError("RAT-05", "non-contributory DH") from e
    if out == bytes(32):
        raise ProtocolError("RAT-05", "non-contributory DH")
    return out


def hkdf(salt: bytes | None, ikm: bytes, info: bytes, length: int) -> bytes:
    # salt None = "absent" = 32 zero bytes (HashLen), exactly what RFC 5869 and `cryptography` do.
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    # Chapter 1: HMAC(key, data) is keyed with the first argument, over the second.
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


def aead_seal(key: bytes, nonce: bytes, ad: bytes, pt: bytes) -> bytes:
    return ChaCha20Poly1305(key).encrypt(nonce, pt, ad)


def aead_open(key: bytes, nonce: bytes, ad: bytes, ct: bytes, code: str, what: str) -> bytes:
    try:
        return ChaCha20Poly1305(key).decrypt(nonce, ct, ad)
    except InvalidTag as e:
        raise ProtocolError(code, what) from e


# ---------------------------------------------------------------- 3.3 key derivation functions
def kdf_rk(rk: bytes, dh_out: bytes) -> tuple[bytes, bytes]:
    okm = hkdf(rk, dh_out, RATCHET_ROOT, 64)
    return okm[0:32], okm[32:64]


def kdf_rk_he(rk: bytes, dh_out: bytes) -> tuple[bytes, bytes, bytes]:
    okm = hkdf(rk, dh_out, RATCHET_ROOT_HE, 96)
    return okm[0:32], okm[32:64], okm[64:96]


def kdf_ck(ck: bytes) -> tuple[bytes, bytes]:
    return hmac_sha256(ck, b"\x01"), hmac_sha256(ck, b"\x02")


def message_key_nonce(mk: bytes) -> tuple[bytes, bytes]:
    okm = hkdf(None, mk, MESSAGE_KEYS, 44)
    return okm[0:32], okm[32:44]


def header_key_nonce(hk: bytes, salt: bytes) -> tuple[bytes, bytes]:
    okm = hkdf(salt, hk, HEADER_KEYS, 44)
    return okm[0:32], okm[32:44]


def he_init(sk: bytes) -> tuple[bytes, bytes, bytes]:
    okm = hkdf(None, sk, RATCHET_HE_INIT, 96)
    return okm[0:32], okm[32:64], okm[64:96]  # RK0, shared_hka, shared_nhkb


class Draws:
    """A random generator replaying a recorded list of draws; each request must match the next draw's length."""

    def __init__(self, name: str, draws: list[bytes], pos: int = 0):
        self.name, self.draws, self.pos = name, draws, pos

    def __call__(self, n: int) -> bytes:
        if self.pos >= len(self.draws):
            raise VectorError(f"{self.name}_random_draws: draw #{self.pos} of {n} bytes requested, "
                              f"but the list has only {len(self.draws)} draws")
        d = self.draws[self.pos]
        if len(d) != n:
            raise VectorError(f"{self.name}_random_draws[{self.pos}] is {len(d)} bytes, the protocol asks for {n}")
        self.pos += 1
        return d


def decode_message(message: bytes) -> None:
    """3.5 decoding: RAT-01, RAT-02, RAT-03 in that order (at least 57 / 89 bytes, at most 2^24 + 57 / 2^24 + 89)."""
    if not message or message[0] not in (V_STD, V_HE):
        raise ProtocolError("RAT-01", f"unknown version {message[0] if message else 0:#04x}")
    fixed = 57 if message[0] == V_STD else 89
    if len(message) < fixed:
        raise ProtocolError("RAT-02", "truncated")
    if len(message) > 2**24 + fixed:
        raise ProtocolError("RAT-03", "too long")


# ---------------------------------------------------------------- 3.2 state, 3.4 initialization
class Session:
    def __init__(self, he: bool, ad: bytes, max_skip: int = 2000, max_stored: int = 2000, rng=None):
        if len(ad) > 65535:
            raise ProtocolError("RAT-13", "associated data too long")
        self.he, self.ad, self.rng = he, ad, rng
        self.max_skip, self.max_stored = min(max_skip, LIMIT_CAP), min(max_stored, LIMIT_CAP)
        self.rk = self.dhs_priv = self.dhs_pub = self.dhr = None
        self.cks = self.ckr = None
        self.ns = self.nr = self.pn = 0
        self.hks = self.hkr = self.nhks = self.nhkr = None
        self.skipped: list[tuple[bytes, int, bytes, bytes | None]] = []  # (DH, N, MK, HK|None), oldest first
        self.origin: dict[tuple[bytes, int], str] = {}  # instrumentation only: how a skipped key was stored
        self.last: dict = {}  # instrumentation only: what the last decrypt did

    @property
    def adp(self) -> bytes:
        return u16be(len(self.ad)) + self.ad

    @classmethod
    def initiator(cls, he, sk, ad, bob_pub, rng, **kw):
        s = cls(he, ad, rng=rng, **kw)
        rk0 = sk
        if he:
            rk0, shared_hka, shared_nhkb = he_init(sk)
        s.dhs_priv = rng(32)
        s.dhs_pub = public_key(s.dhs_priv)
        s.dhr = bob_pub
        d = dh(s.dhs_priv, s.dhr)
        if he:
            s.rk, s.cks, s.nhks = kdf_rk_he(rk0, d)
            s.hks, s.nhkr = shared_hka, shared_nhkb
        else:
            s.rk, s.cks = kdf_rk(rk0, d)
        s.ns = s.pn = 0
        return s

    @classmethod
    def responder(cls, he, sk, ad, prekey_priv, rng, **kw):
        s = cls(he, ad, rng=rng, **kw)
        s.dhs_priv, s.dhs_pub = prekey_priv, public_key(prekey_priv)
        if he:
            s.rk, shared_hka, shared_nhkb = he_init(sk)
            s.nhks, s.nhkr = shared_nhkb, shared_hka
        else:
            s.rk = sk
        return s

    # ------------------------------------------------------------ 3.6 encrypting
    def encrypt(self, plaintext: bytes) -> tuple[bytes, dict]:
        if len(plaintext) > 2**24:
            raise ProtocolError("RAT-03", "plaintext too long")
        if self.cks is not None and self.ns == U32_MAX:
            raise ProtocolError("RAT-09", "counter limit")
        if self.cks is None:  # sending half of a DH ratchet step
            if self.dhr is None:
                raise ProtocolError("RAT-14", "no peer ratchet key")
            priv = self.rng(32)
            d = dh(priv, self.dhr)
            self.dhs_priv, self.dhs_pub = priv, public_key(priv)
            if self.he:
                self.hks = self.nhks
                self.rk, self.cks, self.nhks = kdf_rk_he(self.rk, d)
            else:
                self.rk, self.cks = kdf_rk(self.rk, d)
            self.ns = 0
        t = {"ratchet_private_key": self.dhs_priv, "ratchet_public_key": self.dhs_pub,
             "previous_chain_length": self.pn, "message_number": self.ns,
             "root_key": self.rk, "chain_key": self.cks}
        salt = self.rng(16) if self.he else None
        mk, ck_next = kdf_ck(self.cks)
        header = self.dhs_pub + u32be(self.pn) + u32be(self.ns)
        key, nonce = message_key_nonce(mk)
        if self.he:
            had = self.adp + bytes([V_HE]) + salt
            hkey, hnonce = header_key_nonce(self.hks, salt)
            enc_header = aead_seal(hkey, hnonce, had, header)
            prefix = bytes([V_HE]) + salt + enc_header
            t.update(header_key=self.hks, header_salt=salt, header_aead_key=hkey,
                     header_nonce=hnonce, header_associated_data=had)
        else:
            prefix = bytes([V_STD]) + header
        body_ad = self.adp + prefix
        message = prefix + aead_seal(key, nonce, body_ad, plaintext)
        t.update(header=header, message_key=mk, aead_key=key, nonce=nonce,
                 associated_data=body_ad, plaintext=plaintext, message=message)
        self.cks, self.ns = ck_next, self.ns + 1
        return message, t

    # ------------------------------------------------------------ 3.5 decoding, 3.7 decrypting
    def _lookup(self, dh_pub: bytes, n: int) -> int | None:
        for i, e in enumerate(self.skipped):
            if e[0] == dh_pub and e[1] == n:
                return i
        return None

    def _open_header(self, message: bytes, hk: bytes) -> bytes | None:
        salt, enc = message[1:17], message[17:73]
        key, nonce = header_key_nonce(hk, salt)
        try:
            return ChaCha20Poly1305(key).decrypt(nonce, enc, self.adp + bytes([V_HE]) + salt)
        except InvalidTag:
            return None

    def _find_source(self, message: bytes) -> tuple[str, bytes]:
        """Section 3.7 step 2: returns (source, header); source is 'current', 'new' or 'skipped'.

        The first key that opens a header-encrypted header decides (an RAT-07 there is final)."""
        if not self.he:
            header = message[1:41]
            dh_pub, n = header[0:32], struct.unpack(">I", header[36:40])[0]
            if dh_pub == self.dhr and self.ckr is not None:
                if n >= self.nr:
                    return "current", header
                if self._lookup(dh_pub, n) is not None:
                    return "skipped", header
                raise ProtocolError("RAT-07", "duplicate or expired")
            return ("skipped" if self._lookup(dh_pub, n) is not None else "new"), header
        if self.ckr is not None:  # (a) HKr
            header = self._open_header(message, self.hkr)
            if header is not None:
                n = struct.unpack(">I", header[36:40])[0]
                if n >= self.nr:
                    return "current", header
                if self._lookup(header[0:32], n) is not None:
                    return "skipped", header
                raise ProtocolError("RAT-07", "duplicate or expired")
        seen: list[bytes] = []  # (b) each distinct stored header key, in the order of its oldest entry
        for e in self.skipped:
            if e[3] not in seen:
                seen.append(e[3])
        for hk in seen:
            header = self._open_header(message, hk)
            if header is not None:
                if self._lookup(header[0:32], struct.unpack(">I", header[36:40])[0]) is not None:
                    return "skipped", header
                raise ProtocolError("RAT-07", "duplicate or expired")
        header = self._open_header(message, self.nhkr)  # (c) NHKr
        if header is not None:
            return "new", header
        raise ProtocolError("RAT-08", "no header key opens the header")

    @staticmethod
    def _step(ck, start, stop, dh_pub, hk, out):
        for i in range(start, stop):
            mk, ck = kdf_ck(ck)
            out.append((dh_pub, i, mk, hk))
        return ck

    def decrypt(self, message: bytes) -> bytes:
        decode_message(message)  # 3.5 decoding comes before any session check
        # 3.7
        if message[0] != (V_HE if self.he else V_STD):
            raise ProtocolError("RAT-04", "wrong kind")
        source, header = self._find_source(message)
        dh_pub, (pn_h, n) = header[0:32], struct.unpack(">II", header[32:40])
        if n == U32_MAX:
            raise ProtocolError("RAT-09", "counter limit")
        prefix_len = 73 if self.he else 41
        ad, body = self.adp + message[:prefix_len], message[prefix_len:]

        def open_body(mk):
            key, nonce = message_key_nonce(mk)
            return aead_open(key, nonce, ad, body, "RAT-08", "body authentication")

        if source == "skipped":
            i = self._lookup(dh_pub, n)
            pt = open_body(self.skipped[i][2])
            self.last = {"source": "skipped", "dh_is_current": dh_pub == self.dhr,
                         "origin": self.origin.pop((dh_pub, n), "restored")}
            del self.skipped[i]
            return pt
        entries: list = []
        if source == "current":
            if n - self.nr > self.max_skip:
                raise ProtocolError("RAT-06", "too many skipped")
            ck = self._step(self.ckr, self.nr, n, self.dhr, self.hkr, entries)
            mk, ck_next = kdf_ck(ck)
            pt = open_body(mk)
            self.last = {"source": "current", "gap": n - self.nr}
            for e in entries:
                self.origin[(e[0], e[1])] = "gap in current chain"
            self.skipped += entries
            self.ckr, self.nr = ck_next, n + 1
        else:  # new chain: receiving half of a DH ratchet step
            skip = (pn_h - self.nr if self.ckr is not None and pn_h > self.nr else 0) + n
            if skip > self.max_skip:
                raise ProtocolError("RAT-06", "too many skipped")
            d = dh(self.dhs_priv, dh_pub)
            if self.he:
                rk2, ck, nhk2 = kdf_rk_he(self.rk, d)
            else:
                (rk2, ck), nhk2 = kdf_rk(self.rk, d), None
            if self.ckr is not None:
                self._step(self.ckr, self.nr, pn_h, self.dhr, self.hkr, entries)
            old = len(entries)
            ck = self._step(ck, 0, n, dh_pub, self.nhkr, entries)
            mk, ck_next = kdf_ck(ck)
            pt = open_body(mk)
            self.last = {"source": "new", "old_tail": old, "new_head": len(entries) - old}
            for j, e in enumerate(entries):
                self.origin[(e[0], e[1])] = "tail of previous chain" if j < old else "head of new chain"
            self.skipped += entries
            self.rk = rk2
            if self.cks is not None:
                self.pn, self.cks, self.ns = self.ns, None, 0
            self.dhr, self.ckr, self.nr = dh_pub, ck_next, n + 1
            if self.he:
                self.hkr, self.nhkr = self.nhkr, nhk2
        while len(self.skipped) > self.max_stored:
            e = self.skipped.pop(0)
            self.origin.pop((e[0], e[1]), None)
        return pt

    # ------------------------------------------------------------ chapter 4: pickle
    def fields(self) -> list[tuple[str, object]]:
        """The session as chapter 4's fields, in order, as they would be persisted (None: absent)."""
        he = self.he
        f: list[tuple[str, object]] = [
            ("flags", 1 if he else 0), ("max_skip", self.max_skip), ("max_stored", self.max_stored),
            ("ad", self.ad.hex()), ("root_key", self.rk.hex()), ("ratchet_private_key", self.dhs_priv.hex()),
            ("ratchet_public_key (recomputed)", self.dhs_pub.hex()), ("previous_chain_length", self.pn)]
        snd = self.cks is not None
        f += [("sending.CKs", self.cks.hex() if snd else None), ("sending.Ns", self.ns if snd else None)]
        if he:
            f.append(("sending.HKs", self.hks.hex() if snd else None))
        f.append(("peer_ratchet_key", self.dhr.hex() if self.dhr is not None else None))
        rcv = self.ckr is not None
        f += [("receiving.CKr", self.ckr.hex() if rcv else None), ("receiving.Nr", self.nr if rcv else None)]
        if he:
            f += [("receiving.HKr", self.hkr.hex() if rcv else None),
                  ("next_header_keys.NHKs", self.nhks.hex()), ("next_header_keys.NHKr", self.nhkr.hex())]
        f.append(("skipped_count", len(self.skipped)))
        for j, (d, n, mk, hk) in enumerate(self.skipped):
            f += [(f"skipped[{j}].ratchet_key", d.hex()), (f"skipped[{j}].N", n), (f"skipped[{j}].MK", mk.hex())]
            if he:
                f.append((f"skipped[{j}].HK", hk.hex()))
        return f

    def state_bytes(self) -> bytes:
        he = self.he
        out = bytes([1 if he else 0]) + u32be(self.max_skip) + u32be(self.max_stored) + self.adp
        out += self.rk + self.dhs_priv + u32be(self.pn)
        out += b"\x00" if self.cks is None else b"\x01" + self.cks + u32be(self.ns) + (self.hks if he else b"")
        out += b"\x00" if self.dhr is None else b"\x01" + self.dhr
        out += b"\x00" if self.ckr is None else b"\x01" + self.ckr + u32be(self.nr) + (self.hkr if he else b"")
        if he:
            out += self.nhks + self.nhkr
        out += u32be(len(self.skipped))
        for dh_pub, n, mk, hk in self.skipped:
            out += dh_pub + u32be(n) + mk + (hk if he else b"")
        return out

    def pickle(self, pickle_key: bytes, context: bytes) -> bytes:
        salt = self.rng(16)
        return seal_pickle(pickle_key, salt, context, self.state_bytes())


def pickle_key_nonce(pickle_key: bytes, salt: bytes) -> tuple[bytes, bytes]:
    okm = hkdf(salt, pickle_key, PICKLE_KEYS, 44)
    return okm[0:32], okm[32:44]


def pickle_ad(context: bytes) -> bytes:
    if len(context) > 0xFFFF:
        raise ProtocolError("PKL-06", "context longer than 65535 bytes")
    return bytes([T_SESSION_PICKLE]) + len(context).to_bytes(2, "big") + context


def seal_pickle(pickle_key: bytes, salt: bytes, context: bytes, state: bytes) -> bytes:
    key, nonce = pickle_key_nonce(pickle_key, salt)
    return bytes([T_SESSION_PICKLE]) + salt + aead_seal(key, nonce, pickle_ad(context), state)


def unpickle_state(pickle: bytes, pickle_key: bytes, context: bytes) -> bytes:
    if not pickle or pickle[0] != T_SESSION_PICKLE:
        raise ProtocolError("PKL-01", "unknown version or type tag")
    if len(pickle) < 33:
        raise ProtocolError("PKL-02", "truncated")
    if len(pickle) > 2**25:
        raise ProtocolError("PKL-05", "too long")
    key, nonce = pickle_key_nonce(pickle_key, pickle[1:17])
    return aead_open(key, nonce, pickle_ad(context), pickle[17:], "PKL-03", "wrong key or context, or corrupted")


def parse_state(state: bytes) -> Session:
    """Chapter 4's `state` table, field by field, with every PKL-04 rule the chapter states."""
    pos = 0

    def take(n: int) -> bytes:
        nonlocal pos
        if pos + n > len(state):
            raise ProtocolError("PKL-04", f"state ends early (needs {n} bytes at offset {pos})")
        pos += n
        return state[pos - n:pos]

    def u32() -> int:
        return struct.unpack(">I", take(4))[0]

    def tag(what: str) -> bool:
        t = take(1)[0]
        if t not in (0, 1):
            raise ProtocolError("PKL-04", f"{what}: tag byte {t:#04x}")
        return t == 1

    flags = take(1)[0]
    if flags not in (0, 1):
        raise ProtocolError("PKL-04", f"flags {flags:#04x}")
    he = flags == 1
    max_skip, max_stored = u32(), u32()
    if max_skip > LIMIT_CAP or max_stored > LIMIT_CAP:
        raise ProtocolError("PKL-04", "limit above 100000")
    s = Session(he, take(struct.unpack(">H", take(2))[0]), max_skip, max_stored)
    s.rk, s.dhs_priv = take(32), take(32)
    s.dhs_pub, s.pn = public_key(s.dhs_priv), u32()
    if tag("sending"):
        s.cks, s.ns = take(32), u32()
        s.hks = take(32) if he else None
    if tag("peer_ratchet_key"):
        s.dhr = take(32)
    if tag("receiving"):
        s.ckr, s.nr = take(32), u32()
        s.hkr = take(32) if he else None
        if s.dhr is None:
            raise ProtocolError("PKL-04", "receiving chain without peer ratchet key")
    if he:
        s.nhks, s.nhkr = take(32), take(32)
    count = u32()
    if count > max_stored:
        raise ProtocolError("PKL-04", "more skipped entries than max_stored")
    for _ in range(count):
        s.skipped.append((take(32), u32(), take(32), take(32) if he else None))
    if pos != len(state):
        raise ProtocolError("PKL-04", f"{len(state) - pos} trailing bytes")
    return s


# ---------------------------------------------------------------- chapter 5: the validation IDs in docs/protocol.md
def spec_validation_table(text: str | None = None) -> dict[str, list[str]]:
    """Section 5's table: ID -> the `Type::Variant` names of its error column ([] for "—" and "(every ...)")."""
    text = SPEC.read_text(encoding="utf-8") if text is None else text
    m = re.search(r"^## 5\. Validation IDs\n(.*?)^## ", text, re.S | re.M)
    if not m:
        raise VectorError("no '## 5. Validation IDs' section")
    table: dict[str, list[str]] = {}
    for line in m.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not re.fullmatch(r"(RAT|PKL|HS)-\d\d", cells[0]):
            continue
        errors, current = [], None
        if not cells[-1].startswith("(every"):
            for name in re.findall(r"`([^`]+)`", cells[-1]):
                if "::" in name:
                    current, variant = name.split("::", 1)
                else:
                    variant = name
                if current is not None:
                    errors.append(f"{current}::{variant}")
        table[cells[0]] = errors
    return table


def refusal_id(case: dict, table: dict[str, list[str]]) -> str:
    """The ID a refusal of `case` carries: its `validation_id`, or, for an ID with no error of its own in section 5
    (RAT-10, RAT-11, RAT-12: a property, shown by a refusal of another check), the ID whose error column lists the
    case's `expected_error` (6.1 does not say this; see the report)."""
    vid = case.get("validation_id")
    if table.get(vid):
        return vid
    owners = [i for i, errs in table.items() if case.get("expected_error") in errs]
    return owners[0] if len(owners) == 1 else f"<no single ID of section 5 lists {case.get('expected_error')}>"


def check_negative_case(c, p: str, case: dict, table: dict[str, list[str]], run) -> None:
    """Runs `run()` (which must refuse) and compares the refusal's ID; a refusal raised through `_refusing` carries
    whether the state was unchanged."""
    want = refusal_id(case, table)
    c.eq(f"{p}: validation_id is an ID of section 5", True, case.get("validation_id") in table)
    c.eq(f"{p}: expected_error is in section 5's error column of {want}", True,
         case.get("expected_error") in table.get(want, []))
    try:
        run()
        got, unchanged = "accepted", None
    except ProtocolError as e:
        got, unchanged = e.code, getattr(e, "unchanged", None)
    c.eq(f"{p}: refusal ID ({case.get('comment')})", want, got)
    if case.get("state_unchanged") is not True:
        c.fail(f"{p}: state_unchanged", f"expected true (6.1, 7.10), got {case.get('state_unchanged')!r}")
    elif unchanged is not None:
        c.eq(f"{p}: state unchanged by the refusal", True, unchanged)


# ---------------------------------------------------------------- chapter 2: the table in docs/protocol.md
def spec_label_table(text: str) -> list[tuple[str, str, int, str]]:
    """Rows (name, ascii, length, hex) of section 2's table, parsed from the markdown of docs/protocol.md."""
    m = re.search(r"^## 2\. Labels\n(.*?)^## ", text, re.S | re.M)
    if not m:
        raise VectorError("no '## 2. Labels' section")
    rows = []
    for line in m.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            name, ascii_, length, hx = (c.strip("`") for c in cells)
            rows.append((name, ascii_, int(length), hx))
    return rows


# ---------------------------------------------------------------- chapter 6: checking a vector file
HEX_RE = re.compile(r"^(?:[0-9a-f]{2})*$")
TOP_FIELDS = ["description", "session_kind", "max_skip", "max_stored_skipped", "labels", "shared_secret",
              "associated_data", "bob_initial_ratchet_private_key", "bob_initial_ratchet_public_key",
              "alice_random_draws", "bob_random_draws", "events", "messages", "pickles"]
MSG_FIELDS = ["index", "sender", "ratchet_private_key", "ratchet_public_key", "previous_chain_length",
              "message_number", "header", "root_key", "chain_key", "message_key", "aead_key", "nonce",
              "associated_data", "plaintext", "message"]
MSG_FIELDS_HE = ["header_key", "header_salt", "header_aead_key", "header_nonce", "header_associated_data"]
MSG_HEX_LEN = {"ratchet_private_key": 32, "ratchet_public_key": 32, "header": 40, "root_key": 32, "chain_key": 32,
               "message_key": 32, "aead_key": 32, "nonce": 12, "header_key": 32, "header_salt": 16,
               "header_aead_key": 32, "header_nonce": 12}
PICKLE_FIELDS = ["party", "at", "pickle_key", "pickle_context", "pickle_associated_data", "state", "pickle"]
PICKLE_ORDER = [("alice", "start"), ("bob", "start"), ("alice", "end"), ("bob", "end")]
OTHER = {"alice": "bob", "bob": "alice"}
MAX_SHOWN = 40


def _is_hex(x) -> bool:
    return isinstance(x, str) and bool(HEX_RE.match(x))


def _show(x: str, lo: int, hi: int) -> str:
    """Bytes lo..hi of hex string x, with ellipses where cut."""
    return ("…" if lo > 0 else "") + x[2 * lo:2 * hi] + ("…" if 2 * hi < len(x) else "")


class Checker:
    def __init__(self, fname: str):
        self.fname, self.checks, self.errors = fname, 0, []

    def fail(self, path: str, msg: str):
        self.errors.append(f"{self.fname}: {path}: {msg}")

    def eq(self, path: str, expected, got, extra: list[str] | None = None) -> bool:
        """Compare one field; `got` may be bytes (compared as lower-case hex)."""
        self.checks += 1
        if isinstance(got, (bytes, bytearray)):
            got = bytes(got).hex()
        if expected == got and type(expected) is type(got):
            return True
        if _is_hex(expected) and _is_hex(got):
            le, lg = len(expected) // 2, len(got) // 2
            k = next((j for j in range(min(le, lg)) if expected[2 * j:2 * j + 2] != got[2 * j:2 * j + 2]),
                     min(le, lg))
            lo, hi = (0, max(le, lg)) if max(le, lg) <= 48 else (max(0, k - 8), k + 24)
            msg = (f"differs at byte {k} (expected {le} bytes, got {lg})\n"
                   f"      expected {_show(expected, lo, hi)}\n      got      {_show(got, lo, hi)}")
        else:
            msg = f"expected {expected!r}, got {got!r}"
        for line in extra or []:
            msg += "\n      " + line
        self.fail(path, msg)
        return False


def field_diff(a: list[tuple[str, object]], b: list[tuple[str, object]],
               a_name: str = "expected", b_name: str = "got") -> list[str]:
    """Chapter 4 field-level differences between two field lists (see Session.fields)."""
    da, db = dict(a), dict(b)
    out = []
    for name in list(dict.fromkeys([n for n, _ in a] + [n for n, _ in b])):
        if da.get(name, "<missing>") != db.get(name, "<missing>"):
            out.append(f"field {name}: {a_name} {da.get(name, '<missing>')!r}, {b_name} {db.get(name, '<missing>')!r}")
    return out


def check_shape(v: dict, c: Checker, he: bool) -> None:
    """The fields section 6 lists, with the types and byte lengths the spec implies."""
    c.eq("top-level fields missing", [], sorted(set(TOP_FIELDS) - set(v)))
    c.eq("top-level fields unknown", [], sorted(set(v) - set(TOP_FIELDS)))
    if not isinstance(v.get("description"), str):
        c.fail("description", "not a string")

    def hexlen(path, x, n=None, max_n=None):
        c.checks += 1
        if not _is_hex(x):
            c.fail(path, f"not lower-case two-digit hex: {str(x)[:80]!r}")
        elif n is not None and len(x) != 2 * n:
            c.fail(path, f"is {len(x) // 2} bytes, the spec gives {n}")
        elif max_n is not None and len(x) > 2 * max_n:
            c.fail(path, f"is {len(x) // 2} bytes, at most {max_n} allowed")

    for k in ("max_skip", "max_stored_skipped"):
        if not (isinstance(v[k], int) and 0 <= v[k] <= LIMIT_CAP):
            c.fail(k, f"{v[k]!r} is not an integer 0..{LIMIT_CAP} (a larger value would be clamped)")
    hexlen("shared_secret", v["shared_secret"], 32)
    hexlen("associated_data", v["associated_data"], max_n=65535)
    hexlen("bob_initial_ratchet_private_key", v["bob_initial_ratchet_private_key"], 32)
    hexlen("bob_initial_ratchet_public_key", v["bob_initial_ratchet_public_key"], 32)
    for who in ("alice", "bob"):
        for j, d in enumerate(v[f"{who}_random_draws"]):
            hexlen(f"{who}_random_draws[{j}]", d)
    want = MSG_FIELDS + (MSG_FIELDS_HE if he else [])
    for i, m in enumerate(v["messages"]):
        c.eq(f"messages[{i}] field set", sorted(want), sorted(m))
        for k, x in m.items():
            if k in ("index", "sender", "previous_chain_length", "message_number"):
                continue
            hexlen(f"messages[{i}].{k}", x, MSG_HEX_LEN.get(k))
        for k in ("index", "previous_chain_length", "message_number"):
            if k in m and not (isinstance(m[k], int) and 0 <= m[k] <= U32_MAX):
                c.fail(f"messages[{i}].{k}", f"{m[k]!r} is not a u32")
    for j, p in enumerate(v["pickles"]):
        c.eq(f"pickles[{j}] field set", sorted(PICKLE_FIELDS), sorted(p))
        hexlen(f"pickles[{j}].pickle_key", p.get("pickle_key"), 32)
        hexlen(f"pickles[{j}].pickle_context", p.get("pickle_context"))
        hexlen(f"pickles[{j}].pickle_associated_data", p.get("pickle_associated_data"))
        hexlen(f"pickles[{j}].state", p.get("state"))
        hexlen(f"pickles[{j}].pickle", p.get("pickle"))
    c.eq("pickles: (party, at) in order", [list(x) for x in PICKLE_ORDER],
         [[p.get("party"), p.get("at")] for p in v["pickles"]])
    for j, ev in enumerate(v["events"]):
        if ev.get("action") == "send":
            ok = set(ev) == {"action", "sender", "message"} and ev["sender"] in OTHER
        else:
            ok = ev.get("action") == "deliver" and set(ev) == {"action", "message"}
        if not ok or not (isinstance(ev.get("message"), int) and 0 <= ev["message"] < len(v["messages"])):
            c.fail(f"events[{j}]", f"malformed event {ev!r}")


def check_labels(v: dict, c: Checker, spec_text: str | None) -> None:
    # The hard-coded table must be self-consistent and match docs/protocol.md's table ...
    hard = [(n, a, len(a), a.encode("ascii").hex()) for n, a in LABEL_TABLE]
    try:
        doc = spec_label_table(SPEC.read_text(encoding="utf-8") if spec_text is None else spec_text)
    except (OSError, VectorError) as e:
        c.fail("labels", f"cannot read section 2 of {SPEC}: {e}")
        doc = hard
    for j, (name, ascii_, length, hx) in enumerate(doc):
        c.eq(f"protocol.md §2 row {name}: length column", len(ascii_), length)
        c.eq(f"protocol.md §2 row {name}: hex column vs ASCII column", ascii_.encode("ascii").hex(), hx)
        if not ascii_.startswith("Sotto/1 "):
            c.fail(f"protocol.md §2 row {name}", "does not start with 'Sotto/1 '")
    for col in range(2):
        c.eq(f"protocol.md §2: {'names' if col == 0 else 'values'} unique", len(doc), len({r[col] for r in doc}))
    c.eq("protocol.md §2 table vs this script's copy", [list(r) for r in hard], [list(r) for r in doc])
    # ... and the vector's `labels` must be exactly that table, in order, as {name, ascii, hex}.
    c.eq("labels (count)", len(doc), len(v["labels"]))
    for j, lab in enumerate(v["labels"]):
        if j < len(doc):
            name, ascii_, _, hx = doc[j]
            c.eq(f"labels[{j}] field set", ["ascii", "hex", "name"], sorted(lab))
            c.eq(f"labels[{j}].name", name, lab.get("name"))
            c.eq(f"labels[{j}].ascii ({name})", ascii_, lab.get("ascii"))
            c.eq(f"labels[{j}].hex ({name})", hx, lab.get("hex"))


class Run:
    """One pass through the event script, checking messages and deliveries as it goes."""

    def __init__(self, v, c: Checker, he: bool, prefix: str):
        self.v, self.c, self.he, self.prefix = v, c, he, prefix
        self.sent: dict[int, str] = {}
        self.delivered: list[int] = []
        self.notes: list[dict] = []  # instrumentation, for section 6's scenario claims

    def events(self, parties: dict) -> None:
        v, c, p = self.v, self.c, self.prefix
        for ev_no, ev in enumerate(v["events"]):
            i = ev["message"]
            exp = v["messages"][i]
            if ev["action"] == "send":
                sender = ev["sender"]
                if i in self.sent:
                    raise VectorError(f"events[{ev_no}]: message {i} is sent twice")
                wire, trace = parties[sender].encrypt(bytes.fromhex(exp["plaintext"]))
                self.sent[i] = sender
                c.eq(f"{p}messages[{i}].index", exp["index"], i)
                c.eq(f"{p}messages[{i}].sender", exp["sender"], sender)
                for k in sorted(set(exp) & set(trace)):
                    c.eq(f"{p}messages[{i}].{k}", exp[k], trace[k])
                c.eq(f"{p}messages[{i}] fields this implementation produces", sorted(set(exp) - {"index", "sender"}),
                     sorted(trace))
            else:
                if i not in self.sent:
                    raise VectorError(f"events[{ev_no}]: message {i} delivered before it was sent")
                if i in self.delivered:
                    raise VectorError(f"events[{ev_no}]: message {i} delivered twice")
                receiver = OTHER[self.sent[i]]
                s = parties[receiver]
                before_dhr, before = s.dhr, s.state_bytes()
                try:  # decrypt the vector's wire bytes (equal to ours when the send above matched)
                    pt = s.decrypt(bytes.fromhex(exp["message"]))
                except ProtocolError as e:
                    c.fail(f"{p}events[{ev_no}] (deliver messages[{i}] to {receiver})", f"refused: {e}")
                    if s.state_bytes() != before:
                        c.fail(f"{p}events[{ev_no}]", "a refused message changed the session (RAT-10)")
                    continue
                c.eq(f"{p}events[{ev_no}] (deliver messages[{i}] to {receiver}): plaintext", exp["plaintext"], pt)
                self.delivered.append(i)
                self.notes.append(dict(s.last, message=i, receiver=receiver, dhr_before=before_dhr))

    def draws_consumed(self, rngs: dict) -> None:
        for who, rng in rngs.items():
            self.c.eq(f"{self.prefix}{who}_random_draws: number consumed", len(rng.draws), rng.pos)


def check_pickle(c: Checker, p: dict, j: int, s: Session, prefix: str) -> Session | None:
    """Pickle the live session `s` and compare; open and parse the vector's pickle; compare field by field."""
    key = bytes.fromhex(p["pickle_key"])
    context = bytes.fromhex(p["pickle_context"])
    where = f"{prefix}pickles[{j}] ({p['party']}, {p['at']})"
    live_state = s.state_bytes()
    extra = []
    try:
        extra = field_diff(parse_state(bytes.fromhex(p["state"])).fields(), s.fields(),
                           "vector's state (parsed)", "this implementation's live session")
    except ProtocolError as e:
        extra = [f"(the vector's state does not parse: {e})"]
    c.eq(f"{where}.state", p["state"], live_state, extra)
    c.eq(f"{where}.pickle_associated_data", p["pickle_associated_data"], pickle_ad(context))
    c.eq(f"{where}.pickle", p["pickle"], s.pickle(key, context))
    try:
        state = unpickle_state(bytes.fromhex(p["pickle"]), key, context)
    except ProtocolError as e:
        c.fail(f"{where}.pickle", f"does not open with pickle_key: {e}")
        return None
    c.eq(f"{where}: pickle opened with pickle_key = state", p["state"], state)
    c.eq(f"{where}: pickle length = 33 + len(state)", len(state) + 33, len(bytes.fromhex(p["pickle"])))
    try:
        restored = parse_state(state)
    except ProtocolError as e:
        c.fail(f"{where}: opened state", f"does not parse per chapter 4: {e}")
        return None
    live, parsed = s.fields(), restored.fields()
    c.checks += len(live)
    for line in field_diff(live, parsed, "live session", "parsed from the vector's pickle"):
        c.fail(f"{where}: parsed pickle vs live session", line)
    c.eq(f"{where}: parsed state re-serialized", state.hex(), restored.state_bytes())
    return restored


def run_vector(v: dict, fname: str, spec_text: str | None = None) -> Checker:
    """Check one vector file; `spec_text` replaces docs/protocol.md (for --self-test)."""
    c = Checker(fname)
    try:
        _run_vector(v, c, spec_text)
    except (VectorError, ProtocolError, KeyError, ValueError, TypeError, IndexError, AttributeError) as e:
        c.fail("aborted", f"{type(e).__name__}: {e}")
    return c


def _run_vector(v: dict, c: Checker, spec_text: str | None) -> None:
    kinds = {"standard": False, "header-encrypted": True}
    if v.get("session_kind") not in kinds:
        raise VectorError(f"session_kind {v.get('session_kind')!r}")
    he = kinds[v["session_kind"]]
    check_shape(v, c, he)
    check_labels(v, c, spec_text)
    if c.errors:
        return  # a malformed file: stop before the conversation
    h = bytes.fromhex
    sk, ad = h(v["shared_secret"]), h(v["associated_data"])
    kw = {"max_skip": v["max_skip"], "max_stored": v["max_stored_skipped"]}
    draws = {who: [h(x) for x in v[f"{who}_random_draws"]] for who in ("alice", "bob")}
    pickles = v["pickles"]

    # ---- pass 1: from the inputs of section 3.1
    rngs = {who: Draws(who, draws[who]) for who in ("alice", "bob")}
    bob_prekey = rngs["bob"](32)  # section 6: Bob's first draw is his prekey, drawn outside the session
    c.eq("bob_initial_ratchet_private_key", v["bob_initial_ratchet_private_key"], bob_prekey)
    c.eq("bob_initial_ratchet_public_key", v["bob_initial_ratchet_public_key"], public_key(bob_prekey))
    parties = {"alice": Session.initiator(he, sk, ad, public_key(bob_prekey), rngs["alice"], **kw),
               "bob": Session.responder(he, sk, ad, bob_prekey, rngs["bob"], **kw)}
    restored_start = {}
    for j in (0, 1):  # section 6: right after both sessions were created, Alice first
        restored_start[pickles[j]["party"]] = check_pickle(c, pickles[j], j, parties[pickles[j]["party"]], "")
    pos_after_start = {who: rngs[who].pos for who in rngs}
    run1 = Run(v, c, he, "")
    run1.events(parties)
    restored_end = {}
    for j in (2, 3):
        restored_end[pickles[j]["party"]] = check_pickle(c, pickles[j], j, parties[pickles[j]["party"]], "")
    run1.draws_consumed(rngs)
    check_scenario(v, c, run1, restored_end)

    # ---- pass 2: the same script from sessions restored from the vector's start pickles
    if all(restored_start.values()):
        rngs2 = {who: Draws(who, draws[who], pos_after_start[who]) for who in ("alice", "bob")}
        for who, s in restored_start.items():
            s.rng = rngs2[who]
        run2 = Run(v, c, he, "[from start pickles] ")
        run2.events(restored_start)
        for j in (2, 3):
            who = pickles[j]["party"]
            c.eq(f"[from start pickles] pickles[{j}].state", pickles[j]["state"], restored_start[who].state_bytes())
            c.eq(f"[from start pickles] pickles[{j}].pickle", pickles[j]["pickle"],
                 restored_start[who].pickle(h(pickles[j]["pickle_key"]), h(pickles[j]["pickle_context"])))
        run2.draws_consumed(rngs2)

    # ---- the end pickles, restored: stored keys, replays, and a fresh round trip
    if all(restored_end.values()):
        check_restored_end(v, c, run1, restored_end)


def check_restored_end(v, c: Checker, run1: Run, ends: dict) -> None:
    h = bytes.fromhex
    where = "[restored end pickles]"
    for i, m in enumerate(v["messages"]):  # every delivered message is refused again, state untouched
        if i in run1.delivered:
            s = ends[OTHER[m["sender"]]]
            before = s.state_bytes()
            try:
                s.decrypt(h(m["message"]))
                c.fail(f"{where} replay of messages[{i}]", "accepted (section 3.8: a replay is refused)")
            except ProtocolError as e:
                c.eq(f"{where} replay of messages[{i}]: error ID in RAT-07/RAT-08", True, e.code in ("RAT-07", "RAT-08"))
            c.eq(f"{where} replay of messages[{i}]: session unchanged (RAT-10)", before.hex(), s.state_bytes())
    for i, m in enumerate(v["messages"]):  # the never-delivered messages open with the stored keys
        if i not in run1.delivered:
            rcv = OTHER[m["sender"]]
            try:
                c.eq(f"{where} late delivery of messages[{i}] to {rcv}: plaintext", m["plaintext"],
                     ends[rcv].decrypt(h(m["message"])))
                c.eq(f"{where} late delivery of messages[{i}]: source", "skipped", ends[rcv].last["source"])
            except ProtocolError as e:
                c.fail(f"{where} late delivery of messages[{i}] to {rcv}", f"refused: {e}")
    a, b = ends["alice"], ends["bob"]
    a.rng = b.rng = os.urandom  # fresh randomness: not compared to any vector
    for snd, rcv, text in ((b, a, b"after restore 1"), (a, b, b"after restore 2"), (b, a, b"after restore 3")):
        try:
            c.eq(f"{where} round trip", text.hex(), rcv.decrypt(snd.encrypt(text)[0]))
        except ProtocolError as e:
            c.fail(f"{where} round trip", f"failed: {e}")


def check_scenario(v, c: Checker, run: Run, ends: dict) -> None:
    """Section 6's description of the script, checked against what the conversation actually did."""
    msgs = v["messages"]

    def claim(text: str, ok: bool):
        c.checks += 1
        if not ok:
            c.fail("section 6 claim", f"not met: {text}")

    claim("21 messages", len(msgs) == 21)
    claim("every message is sent", len(run.sent) == len(msgs))
    seen: dict[str, int] = {}
    ooo = False
    for i in run.delivered:
        ooo |= i < seen.get(msgs[i]["sender"], -1)
        seen[msgs[i]["sender"]] = max(seen.get(msgs[i]["sender"], -1), i)
    claim("out-of-order delivery", ooo)
    claim("a message delayed across a DH ratchet step (key stored as the tail of a previous chain, used later)",
          any(n["source"] == "skipped" and n["origin"] == "tail of previous chain" for n in run.notes))
    claim("a gap inside the current receiving chain",
          any(n["source"] == "current" and n["gap"] > 0 for n in run.notes))
    claim("a stored key of an older chain used after a newer chain started",
          any(n["source"] == "skipped" and not n["dh_is_current"] for n in run.notes))
    lens = [len(m["plaintext"]) // 2 for m in msgs]
    claim("an empty plaintext", 0 in lens)
    claim("a 1000-byte plaintext", 1000 in lens)
    undelivered = [i for i in range(len(msgs)) if i not in run.delivered]
    claim(f"exactly two messages never delivered (found {undelivered})", len(undelivered) == 2)
    for who, s in ends.items():
        if s is not None:
            claim(f"the end pickle of {who} holds skipped keys", len(s.skipped) > 0)
    # Every stored key of an end pickle that belongs to a sent message: that message is undelivered and
    # the key is its message_key (and header_key); every undelivered message's key is stored.
    for who, s in ends.items():
        if s is None:
            continue
        for j, (d, n, mk, hk) in enumerate(s.skipped):
            for i, m in enumerate(msgs):
                if m["sender"] == OTHER[who] and m["ratchet_public_key"] == d.hex() and m["message_number"] == n:
                    claim(f"end pickle of {who}: skipped[{j}] belongs to undelivered messages[{i}]",
                          i not in run.delivered)
                    c.eq(f"end pickle of {who}: skipped[{j}].MK = messages[{i}].message_key", m["message_key"], mk)
                    if s.he:
                        c.eq(f"end pickle of {who}: skipped[{j}].HK = messages[{i}].header_key", m["header_key"], hk)
        for i in undelivered:
            if msgs[i]["sender"] == OTHER[who]:
                claim(f"end pickle of {who} stores the key of undelivered messages[{i}]",
                      any(d.hex() == msgs[i]["ratchet_public_key"] and n == msgs[i]["message_number"]
                          for d, n, _, _ in s.skipped))


def report(c: Checker, v: dict) -> bool:
    for e in c.errors[:MAX_SHOWN]:
        print(e)
    if len(c.errors) > MAX_SHOWN:
        print(f"{c.fname}: ... {len(c.errors) - MAX_SHOWN} more mismatch(es) not shown")
    if c.errors:
        print(f"{c.fname}: FAIL: {len(c.errors)} mismatch(es) in {c.checks} checks")
        return False
    print(f"{c.fname}: OK: {v['session_kind']}, {len(v['messages'])} messages, {len(v['events'])} events, "
          f"{len(v['pickles'])} pickles, {len(v['labels'])} labels, "
          f"{len(v['alice_random_draws'])}+{len(v['bob_random_draws'])} draws, {c.checks} checks: all match")
    return True


# ---------------------------------------------------------------- 6.1: ratchet-negative.json
NEG_TOP_FIELDS = ["cases", "description", "pickle_context", "pickle_key"]
NEG_CASE_FIELDS = sorted(["id", "validation_id", "comment", "operation", "state", "input", "pad_to", "expected_error",
                          "state_unchanged"])
NEG_FNAME = "ratchet-negative.json"


def _no_draws(n: int) -> bytes:
    """6.1 does not say what an `encrypt` or `pickle` case draws; a refusal must not depend on it."""
    return bytes(n)


def _refusing(snapshot, op):
    """Runs op(); on a ProtocolError records whether snapshot() is unchanged and re-raises."""
    before = snapshot()
    try:
        op()
    except ProtocolError as e:
        e.unchanged = snapshot() == before
        raise
    return snapshot() == before


def run_negative(v: dict, table: dict[str, list[str]] | None = None, decrypt=None) -> Checker:
    """Every case of 6.1, by its operation, with this file's implementation. `decrypt` replaces Session.decrypt
    (the self-test uses it to show a state change is caught)."""
    c = Checker(NEG_FNAME)
    table = spec_validation_table() if table is None else table
    decrypt = decrypt or Session.decrypt
    c.eq("top-level fields", NEG_TOP_FIELDS, sorted(v))
    key, ctx = bytes.fromhex(v.get("pickle_key", "")), bytes.fromhex(v.get("pickle_context", ""))
    c.eq("pickle_key (6.1: 32 bytes of 0x74)", "74" * 32, v.get("pickle_key"))
    c.eq("pickle_context (6.1)", b"Sotto/1 negative vectors: alice bob generation 2".hex(), v.get("pickle_context"))
    for i, case in enumerate(v.get("cases", [])):
        p = f"cases[{i}] (id {case.get('id')}, {case.get('validation_id')}, {case.get('operation')})"
        c.eq(f"{p}: fields", NEG_CASE_FIELDS, sorted(case))
        c.eq(f"{p}: id", i + 1, case.get("id"))
        try:
            data = bytes.fromhex(case["input"])
            data += bytes(max(0, case.get("pad_to", 0) - len(data)))
            op, state_hex = case["operation"], case.get("state", "")

            def restore() -> Session:
                st = unpickle_state(bytes.fromhex(state_hex), key, ctx)
                s = parse_state(st)
                if s.state_bytes() != st:
                    raise VectorError("the restored state does not re-encode to the same bytes")
                s.rng = _no_draws
                return s

            if op in ("decode", "unpickle", "create_responder"):
                c.eq(f"{p}: state (empty for {op})", "", state_hex)
            if op == "decode":
                run = lambda: decode_message(data)  # noqa: E731
            elif op == "unpickle":
                run = lambda: parse_state(unpickle_state(data, key, ctx))  # noqa: E731
            elif op == "create_responder":
                run = lambda: Session.responder(False, b"\x42" * 32, data, bytes(32), _no_draws)  # noqa: E731
            elif op in ("decrypt", "encrypt", "pickle"):
                try:
                    s = restore()
                except ProtocolError as e:
                    raise VectorError(f"`state` does not restore: {e}") from e
                act = {"decrypt": lambda: decrypt(s, data), "encrypt": lambda: s.encrypt(data),
                       "pickle": lambda: s.pickle(key, data)}[op]
                run = lambda: _refusing(s.state_bytes, act)  # noqa: E731
            else:
                c.fail(p, f"unknown operation {op!r} (6.1 lists decode, decrypt, encrypt, unpickle, pickle, "
                          f"create_responder)")
                continue
            check_negative_case(c, p, case, table, run)
        except (VectorError, KeyError, ValueError, TypeError) as e:
            c.fail(f"{p}: aborted", f"{type(e).__name__}: {e}")
    ids = {i for i in table if i.startswith(("RAT-", "PKL-"))} - {"RAT-10"}  # 6.1: RAT-10 is every case's promise
    covered = {case.get("validation_id") for case in v.get("cases", [])}
    c.eq("6.1: RAT- and PKL- IDs of section 5 without a case", [], sorted(ids - covered))
    return c


def report_negative(c: Checker, v: dict) -> bool:
    for e in c.errors[:MAX_SHOWN]:
        print(e)
    if c.errors:
        print(f"{NEG_FNAME}: FAIL: {len(c.errors)} mismatch(es) in {c.checks} checks")
        return False
    print(f"{NEG_FNAME}: OK: {len(v['cases'])} cases refused with their validation IDs, "
          f"{c.checks} checks: all match")
    return True


def negative_mutations(v: dict) -> list[tuple[str, object, str]]:
    cases = v["cases"]

    def first(pred):
        return next(i for i, x in enumerate(cases) if pred(x))

    def setf(i, k, fn):
        return lambda d: d["cases"][i].__setitem__(k, fn(d["cases"][i][k]))

    trunc = first(lambda x: x["validation_id"] == "RAT-02")
    replay = first(lambda x: x["validation_id"] == "RAT-07" and x["operation"] == "decrypt")
    pkl3 = first(lambda x: x["validation_id"] == "PKL-03")
    # The RAT-08 case whose message has bit 0 of its last byte flipped: flipping it back gives a message that decrypts.
    tag = first(lambda x: x["validation_id"] == "RAT-08" and x["operation"] == "decrypt" and "last" in x["comment"])
    ctx = first(lambda x: x["operation"] == "pickle")
    muts = [
        (f"case {trunc + 1}: validation_id RAT-02 -> RAT-03", setf(trunc, "validation_id", lambda _: "RAT-03"),
         f"cases[{trunc}] (id {trunc + 1}, RAT-03, decode): refusal ID"),
        (f"case {trunc + 1}: input one byte longer (now decodes)", setf(trunc, "pad_to", lambda x: x + 1),
         f"cases[{trunc}] (id {trunc + 1}, RAT-02, decode): refusal ID"),
        (f"case {tag + 1}: bit 0 of the last byte flipped back (the message now decrypts)",
         setf(tag, "input", lambda x: _flip(x, len(x) // 2 - 1)), f"cases[{tag}] (id {tag + 1}, RAT-08, decrypt): refusal"),
        (f"case {replay + 1}: flip a byte of state (does not restore)",
         setf(replay, "state", lambda x: _flip(x, 20)), f"cases[{replay}] (id {replay + 1}, RAT-07, decrypt): aborted"),
        (f"case {pkl3 + 1}: the pickle_key changed", lambda d: d.__setitem__("pickle_key", "75" * 32),
         "pickle_key"),
        (f"case {ctx + 1}: a context of 65535 bytes (allowed)", setf(ctx, "pad_to", lambda _: 65535),
         f"cases[{ctx}] (id {ctx + 1}, PKL-06, pickle): refusal ID"),
        ("unknown operation", setf(0, "operation", lambda _: "frobnicate"), "unknown operation 'frobnicate'"),
        ("drop every RAT-09 case", lambda d: d.__setitem__("cases", [x for x in d["cases"]
                                                                     if x["validation_id"] != "RAT-09"]),
         "without a case"),
        ("state_unchanged false", setf(0, "state_unchanged", lambda _: False), "cases[0] (id 1, RAT-01, decode): "
                                                                              "state_unchanged"),
    ]
    return muts


def negative_self_test(v: dict) -> bool:
    ok, n = True, 0
    table = spec_validation_table()
    for desc, mutate, expect in negative_mutations(v):
        w = copy.deepcopy(v)
        mutate(w)
        n += 1
        errs = run_negative(w, table).errors
        if not any(expect in e for e in errs):
            print(f"self-test: {NEG_FNAME}: mutation NOT detected at '{expect}': {desc}"
                  + (f"; first report: {errs[0]}" if errs else ""))
            ok = False

    # A decrypt that refuses but first changes the session must be reported (RAT-10).
    def leaky(s: Session, m: bytes) -> bytes:
        s.pn += 1
        return Session.decrypt(s, m)

    n += 1
    if not any("state unchanged by the refusal" in e for e in run_negative(v, table, leaky).errors):
        print(f"self-test: {NEG_FNAME}: a refusal that changed the session was NOT detected")
        ok = False
    # Section 5 doctored in memory: an ID whose error column lost the case's error must be reported.
    doctored = {k: [e for e in errs if e != "DecryptError::Duplicate"] for k, errs in table.items()}
    n += 1
    if not any("expected_error is in section 5" in e for e in run_negative(v, doctored).errors):
        print(f"self-test: {NEG_FNAME}: an error missing from section 5's table was NOT detected")
        ok = False
    print(f"self-test: {NEG_FNAME}: {n} mutations: {'all detected' if ok else 'SOME NOT DETECTED'}")
    return ok


# ---------------------------------------------------------------- --self-test: the checker provably fails
def _flip(hx: str, byte: int) -> str:
    b = bytearray(bytes.fromhex(hx))
    b[byte] ^= 0x01
    return b.hex()


def mutations(v: dict) -> list[tuple[str, object, str]]:
    """(description, mutate(copy), substring the checker's report must contain)."""
    he = v["session_kind"] == "header-encrypted"

    def setf(path, fn):
        def go(d):
            *parents, last = path
            for k in parents:
                d = d[k]
            d[last] = fn(d[last])
        return go

    muts = [
        ("flip byte 0 of messages[5].nonce", setf(["messages", 5, "nonce"], lambda x: _flip(x, 0)),
         "messages[5].nonce"),
        ("flip the last byte of messages[6].message (1000-byte plaintext)",
         setf(["messages", 6, "message"], lambda x: _flip(x, len(x) // 2 - 1)), "messages[6].message"),
        ("flip a byte of messages[13].message_key (key used late from an older chain)",
         setf(["messages", 13, "message_key"], lambda x: _flip(x, 31)), "messages[13].message_key"),
        ("change messages[11].previous_chain_length", setf(["messages", 11, "previous_chain_length"],
                                                            lambda x: x + 1), "messages[11].previous_chain_length"),
        ("flip a byte of pickles[0].pickle", setf(["pickles", 0, "pickle"], lambda x: _flip(x, 40)),
         "pickles[0] (alice, start).pickle"),
        ("flip the last byte of pickles[3].state (inside a skipped entry)",
         setf(["pickles", 3, "state"], lambda x: _flip(x, len(x) // 2 - 1)), "pickles[3] (bob, end).state"),
        ("flip a byte of pickles[2].pickle_key", setf(["pickles", 2, "pickle_key"], lambda x: _flip(x, 0)),
         "pickles[2] (alice, end)"),
        ("flip a byte of pickles[2].pickle_context", setf(["pickles", 2, "pickle_context"], lambda x: _flip(x, 0)),
         "pickles[2] (alice, end)"),
        ("swap the two start pickles", lambda d: d["pickles"].__setitem__(slice(0, 2), d["pickles"][1::-1]),
         "pickles: (party, at) in order"),
        ("append an unused draw to alice_random_draws", lambda d: d["alice_random_draws"].append("00" * 16),
         "alice_random_draws: number consumed"),
        ("shorten bob_random_draws[2] by one byte", setf(["bob_random_draws", 2], lambda x: x[:-2]),
         "bob_random_draws[2] is 31 bytes"),
        ("flip a byte of labels[7].hex", setf(["labels", 7, "hex"], lambda x: _flip(x, 9)), "labels[7]"),
        ("drop the last label", lambda d: d["labels"].pop(), "labels (count)"),
        ("delete messages[0].root_key", lambda d: d["messages"][0].pop("root_key"), "messages[0] field set"),
        ("add an unknown top-level field", lambda d: d.__setitem__("extra", 1), "top-level fields unknown"),
        ("upper-case messages[1].header", setf(["messages", 1, "header"], str.upper), "messages[1].header"),
        ("drop the last event (message 20 never delivered)", lambda d: d["events"].pop(), "pickles[2] (alice, end)"),
        ("max_skip 2000 -> 1999", setf(["max_skip"], lambda x: x - 1), "pickles[0] (alice, start).state"),
        ("flip a byte of associated_data", setf(["associated_data"], lambda x: _flip(x, 3)),
         "messages[0].associated_data"),
        ("flip a byte of bob_initial_ratchet_public_key",
         setf(["bob_initial_ratchet_public_key"], lambda x: _flip(x, 5)), "bob_initial_ratchet_public_key"),
    ]
    if he:
        muts += [
            ("flip a byte of messages[9].header_nonce", setf(["messages", 9, "header_nonce"], lambda x: _flip(x, 11)),
             "messages[9].header_nonce"),
            ("flip a byte of messages[3].header_key", setf(["messages", 3, "header_key"], lambda x: _flip(x, 0)),
             "messages[3].header_key"),
        ]
    return muts


def self_test(files: list[tuple[str, dict]]) -> bool:
    ok, n = True, 0
    for fname, v in files:
        for desc, mutate, expect in mutations(v):
            w = copy.deepcopy(v)
            mutate(w)
            c = run_vector(w, fname)
            n += 1
            if not c.errors:
                print(f"self-test: {fname}: mutation NOT detected: {desc}")
                ok = False
            elif not any(expect in e for e in c.errors):
                print(f"self-test: {fname}: mutation '{desc}' reported, but not at '{expect}'; first report:\n"
                      f"  {c.errors[0]}")
                ok = False
        # the spec's table itself, doctored in memory: a wrong length column must be reported
        doctored = SPEC.read_text(encoding="utf-8").replace("`Sotto/1 header keys` | 19", "`Sotto/1 header keys` | 18")
        c = run_vector(copy.deepcopy(v), fname, doctored)
        n += 1
        if not any("protocol.md §2 row HEADER_KEYS: length column" in e for e in c.errors):
            print(f"self-test: {fname}: a wrong length in protocol.md's label table was NOT detected")
            ok = False
    print(f"self-test: {n} mutations over {len(files)} files: {'all detected' if ok else 'SOME NOT DETECTED'}")
    return ok


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--self-test"]
    if len(args) > 1 or any(a.startswith("-") for a in args):
        print(__doc__)
        return 2
    d = Path(args[0]) if args else ROOT / "docs" / "vectors"
    ok, files = True, []
    for name in ("ratchet.json", "ratchet-header-encryption.json"):
        try:
            v = json.loads((d / name).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            print(f"{name}: FAIL: cannot load: {e}")
            ok = False
            continue
        files.append((name, v))
        ok &= report(run_vector(v, name), v)
    neg = None
    try:
        neg = json.loads((d / NEG_FNAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        print(f"{NEG_FNAME}: FAIL: cannot load: {e}")
        ok = False
    if neg is not None:
        ok &= report_negative(run_negative(neg), neg)
    if "--self-test" in argv:
        ok &= bool(files) and self_test(files)
        ok &= neg is not None and negative_self_test(neg)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
