//! docs/vectors/sealed.json against docs/protocol.md 9.3 and 9.4: every intermediate value of
//! every single-recipient envelope and of the multi-recipient message is recomputed here from
//! the documented formulas with `sotto_crypto` primitives alone (X25519, HKDF-SHA256,
//! ChaCha20-Poly1305, SHA-512, and a padding written from 9.1), compared byte for byte; each
//! envelope is then opened by `sotto_sealed` and the sent form split as the relay does; every
//! negative case is refused with its reason, and the cases cover exactly the SEAL-ENV and
//! SEAL-MR IDs of section 5. A last test shows the checks catch a mutated vector.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use sotto_crypto::ed25519::SigningKey;
use sotto_crypto::x25519::{PublicKey, SecretKey};
use sotto_crypto::{SecretBytes, aead, hash, kdf};
use sotto_sealed::cache::StaticCache;
use sotto_sealed::certificate::SenderCertificate;
use sotto_sealed::envelope::{open, seal};
use sotto_sealed::multi::{Recipient, SentEnvelope, seal_multi};
use sotto_tests::validation_ids::validation_ids;
use sotto_vectors::rng::ScriptedRng;
use sotto_vectors::vectors::sealed::{
    OpenedVector, PartyVector, SealedVectors, generate, identity_of, run_negative, store_of,
};

fn load() -> SealedVectors {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/sealed.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

type Check = Result<(), String>;

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    hex::decode(s).map_err(|e| format!("{s}: {e}"))
}

fn arr<const N: usize>(b: &[u8]) -> Result<[u8; N], String> {
    b.try_into().map_err(|_| format!("not {N} bytes"))
}

/// Fails with the field's name when the recomputed bytes differ from the file's hex.
fn same(field: &str, computed: &[u8], file: &str) -> Check {
    if hex::encode(computed) == file {
        Ok(())
    } else {
        Err(format!(
            "{field}: computed {}, file {file}",
            hex::encode(computed)
        ))
    }
}

/// `X25519(private, public)` (section 1), refusing an all-zero output.
fn dh(private: &[u8], public: &[u8]) -> Result<[u8; 32], String> {
    let out = SecretKey::from_bytes(SecretBytes::new(arr(private)?))
        .diffie_hellman(&PublicKey::from_bytes(arr(public)?))
        .map_err(|e| e.to_string())?;
    Ok(*out.expose())
}

fn x25519_public(private: &[u8]) -> Result<[u8; 32], String> {
    Ok(SecretKey::from_bytes(SecretBytes::new(arr(private)?))
        .public_key()
        .to_bytes())
}

fn aead_seal(key: &[u8], nonce: &[u8], ad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, String> {
    Ok(aead::seal(
        &SecretBytes::new(arr(key)?),
        &arr(nonce)?,
        ad,
        plaintext,
    ))
}

/// 9.1's bucket function, from the text: 32, 64, 128, 256, then Padmé.
fn bucket(n: usize) -> usize {
    if n <= 256 {
        return [32, 64, 128, 256].into_iter().find(|&b| n <= b).unwrap();
    }
    let e = n.ilog2();
    let s = e.ilog2() + 1;
    let unit = 1usize << (e - s);
    n.div_ceil(unit) * unit
}

fn document_pad(message: &[u8]) -> Vec<u8> {
    let mut out = message.to_vec();
    out.push(0x80);
    out.resize(bucket(message.len() + 1), 0);
    out
}

/// A party's 64-byte identity from its private keys: `Ed25519 public || X25519 public`.
fn party_identity(p: &PartyVector) -> Result<Vec<u8>, String> {
    let seed = arr(&unhex(&p.signing_seed)?)?;
    let mut id = SigningKey::from_seed(SecretBytes::new(seed))
        .verifying_key()
        .to_bytes()
        .to_vec();
    id.extend_from_slice(&x25519_public(&unhex(&p.identity_private)?)?);
    same("identity", &id, &p.identity)?;
    Ok(id)
}

/// The two layers' key material for one recipient, checked field by field.
struct Layer1 {
    layer1_ct: Vec<u8>,
    key2: Vec<u8>,
    nonce2: Vec<u8>,
}

fn check_layers(
    v: &SealedVectors,
    e: &[u8],
    header1: &[u8],
    recipient: &PartyVector,
    fields: [&str; 10],
) -> Result<Layer1, String> {
    let [
        e1_f,
        okm1_f,
        chain_f,
        key1_f,
        nonce1_f,
        l1_f,
        s_f,
        okm2_f,
        key2_f,
        nonce2_f,
    ] = fields;
    let r = party_identity(recipient)?;
    let sender = party_identity(&v.sender.party)?;
    let e_pub = x25519_public(e)?;
    let e1 = dh(e, &r[32..])?;
    same("e1", &e1, e1_f)?;
    // The recipient's side gives the same secret.
    same(
        "e1 (recipient side)",
        &dh(&unhex(&recipient.identity_private)?, &e_pub)?,
        e1_f,
    )?;
    let mut salt1 = e_pub.to_vec();
    salt1.extend_from_slice(&r);
    assert_eq!(salt1.len(), 96);
    let okm1 = kdf::hkdf_sha256::<76>(Some(&salt1), &e1, &unhex(&v.info_ephemeral)?);
    let okm1 = okm1.expose();
    same("okm1", okm1, okm1_f)?;
    same("chain", &okm1[..32], chain_f)?;
    same("key1", &okm1[32..64], key1_f)?;
    same("nonce1", &okm1[64..], nonce1_f)?;
    let layer1_ct = aead_seal(&okm1[32..64], &okm1[64..], header1, &sender)?;
    same("layer1_ct", &layer1_ct, l1_f)?;
    let s = dh(&unhex(&v.sender.party.identity_private)?, &r[32..])?;
    same("s", &s, s_f)?;
    same(
        "s (recipient side)",
        &dh(&unhex(&recipient.identity_private)?, &sender[32..])?,
        s_f,
    )?;
    let mut salt2 = okm1[..32].to_vec();
    salt2.extend_from_slice(&layer1_ct);
    assert_eq!(salt2.len(), 112);
    let okm2 = kdf::hkdf_sha256::<44>(Some(&salt2), &s, &unhex(&v.info_static)?);
    let okm2 = okm2.expose();
    same("okm2", okm2, okm2_f)?;
    same("key2", &okm2[..32], key2_f)?;
    same("nonce2", &okm2[32..], nonce2_f)?;
    Ok(Layer1 {
        layer1_ct,
        key2: okm2[..32].to_vec(),
        nonce2: okm2[32..].to_vec(),
    })
}

fn compact_of(v: &SealedVectors) -> Result<Vec<u8>, String> {
    let cert = unhex(&v.sender.certificate)?;
    if cert.len() != 162 {
        return Err("certificate length".into());
    }
    let mut c = cert[..22].to_vec();
    c.extend_from_slice(&cert[86..]);
    same("compact_certificate", &c, &v.sender.compact_certificate)?;
    Ok(c)
}

fn check_opened(
    v: &SealedVectors,
    recipient: &PartyVector,
    now: u64,
    envelope: &[u8],
    expected: &OpenedVector,
    content_type: u8,
    message: &str,
) -> Check {
    let want = OpenedVector {
        account_id: v.sender.party.account_id.clone(),
        device_id: v.sender.party.device_id,
        identity: v.sender.party.identity.clone(),
        content_type,
        message: message.into(),
    };
    if *expected != want {
        return Err(format!("opened: file {expected:?}, inputs say {want:?}"));
    }
    let store = store_of(v, &[])?;
    let o = open(&identity_of(recipient)?, &store, now, envelope)
        .map_err(|e| format!("open: {:?}", e.reason()))?;
    let got = OpenedVector {
        account_id: hex::encode(o.sender.account_id().to_bytes()),
        device_id: o.sender.device_id(),
        identity: hex::encode(o.sender.identity().to_bytes()),
        content_type: o.content_type,
        message: hex::encode(&*o.message),
    };
    if got == want {
        Ok(())
    } else {
        Err(format!("open gave {got:?}, expected {want:?}"))
    }
}

fn check_single(v: &SealedVectors, i: usize) -> Check {
    let c = &v.single[i];
    let recipient = v.recipients.get(c.recipient).ok_or("recipient")?;
    let e = unhex(&c.e_private)?;
    same("e_pub", &x25519_public(&e)?, &c.e_pub)?;
    let mut header1 = vec![0x1f, 0x01];
    header1.extend_from_slice(&x25519_public(&e)?);
    same("header1", &header1, &c.header1)?;
    let l = check_layers(
        v,
        &e,
        &header1,
        recipient,
        [
            &c.e1,
            &c.okm1,
            &c.chain,
            &c.key1,
            &c.nonce1,
            &c.layer1_ct,
            &c.s,
            &c.okm2,
            &c.key2,
            &c.nonce2,
        ],
    )?;
    let compact = compact_of(v)?;
    same(
        "compact_certificate (case)",
        &compact,
        &c.compact_certificate,
    )?;
    let message = unhex(&c.message)?;
    let padded = document_pad(&message);
    same("padded_message", &padded, &c.padded_message)?;
    let mut inner = vec![c.content_type];
    inner.extend_from_slice(&compact);
    inner.extend_from_slice(&padded);
    same("inner", &inner, &c.inner)?;
    let mut header2 = header1.clone();
    header2.extend_from_slice(&l.layer1_ct);
    same("header2", &header2, &c.header2)?;
    let layer2_ct = aead_seal(&l.key2, &l.nonce2, &header2, &inner)?;
    same("layer2_ct", &layer2_ct, &c.layer2_ct)?;
    let mut envelope = header2;
    envelope.extend_from_slice(&layer2_ct);
    same("envelope", &envelope, &c.envelope)?;
    if c.envelope_len != envelope.len() || c.overhead != 229 || envelope.len() != 229 + padded.len()
    {
        return Err(format!(
            "length {} / overhead {}",
            c.envelope_len, c.overhead
        ));
    }
    check_opened(
        v,
        recipient,
        c.now,
        &envelope,
        &c.opened,
        c.content_type,
        &c.message,
    )?;
    // sotto_sealed's seal, given the same E, writes the same bytes.
    let sender = identity_of(&v.sender.party)?;
    let cert =
        SenderCertificate::from_bytes(&unhex(&v.sender.certificate)?).map_err(|e| e.to_string())?;
    let mut rng = ScriptedRng::new(vec![e]);
    let sealed = seal(
        &sender,
        &cert,
        &identity_of(recipient)?.public(),
        c.content_type,
        &message,
        &mut rng,
    )
    .map_err(|e| e.to_string())?;
    same("seal's envelope", &sealed, &c.envelope)
}

#[allow(clippy::too_many_lines)]
fn check_multi(v: &SealedVectors) -> Check {
    let m = &v.multi;
    let e = unhex(&m.e_private)?;
    let k = unhex(&m.content_key)?;
    same("e_pub", &x25519_public(&e)?, &m.e_pub)?;
    let mut header1 = vec![0x1f, 0x02];
    header1.extend_from_slice(&x25519_public(&e)?);
    same("header1", &header1, &m.header1)?;
    let compact = compact_of(v)?;
    same(
        "compact_certificate (multi)",
        &compact,
        &m.compact_certificate,
    )?;
    let message = unhex(&m.message)?;
    let padded = document_pad(&message);
    same("padded_message", &padded, &m.padded_message)?;
    let mut inner = vec![m.content_type];
    inner.extend_from_slice(&compact);
    inner.extend_from_slice(&padded);
    same("inner", &inner, &m.inner)?;
    let content_ct = aead_seal(&k, &[0u8; 12], &header1, &inner)?;
    same("content_ct", &content_ct, &m.content_ct)?;
    let digest = hash::sha512(&content_ct);
    same("content_ct_sha512", &digest, &m.content_ct_sha512)?;

    // The entries are the input recipients sorted by account_id || u32be(device_id).
    let address = |p: &PartyVector| -> Result<Vec<u8>, String> {
        let mut a = unhex(&p.account_id)?;
        a.extend_from_slice(&p.device_id.to_be_bytes());
        Ok(a)
    };
    let mut sorted = m.recipients.clone();
    sorted.sort_by_key(|&i| address(&v.recipients[i]).unwrap_or_default());
    let listed: Vec<usize> = m.entries.iter().map(|en| en.recipient).collect();
    if listed != sorted {
        return Err(format!("entries {listed:?}, sorted input {sorted:?}"));
    }
    let n = u16::try_from(m.entries.len()).map_err(|e| e.to_string())?;
    let mut sent = vec![0x1f, 0x03];
    sent.extend_from_slice(&x25519_public(&e)?);
    sent.extend_from_slice(&n.to_be_bytes());
    let mut received_all = Vec::new();
    for en in &m.entries {
        let p = &v.recipients[en.recipient];
        let l = check_layers(
            v,
            &e,
            &header1,
            p,
            [
                &en.e1,
                &en.okm1,
                &en.chain,
                &en.key1,
                &en.nonce1,
                &en.layer1_ct,
                &en.s,
                &en.okm2,
                &en.key2,
                &en.nonce2,
            ],
        )?;
        let mut ad = header1.clone();
        ad.extend_from_slice(&l.layer1_ct);
        ad.extend_from_slice(&digest);
        same("wrap_ad", &ad, &en.wrap_ad)?;
        let wrap = aead_seal(&l.key2, &l.nonce2, &ad, &k)?;
        same("wrap", &wrap, &en.wrap)?;
        let a = address(p)?;
        same("address", &a, &en.address)?;
        let mut entry = a;
        entry.extend_from_slice(&l.layer1_ct);
        entry.extend_from_slice(&wrap);
        assert_eq!(entry.len(), 148);
        same("entry", &entry, &en.entry)?;
        sent.extend_from_slice(&entry);
        let mut received = header1.clone();
        received.extend_from_slice(&l.layer1_ct);
        received.extend_from_slice(&wrap);
        received.extend_from_slice(&content_ct);
        same("received", &received, &en.received)?;
        received_all.push(received);
    }
    sent.extend_from_slice(&content_ct);
    same("sent", &sent, &m.sent)?;
    if m.sent_len != sent.len() || sent.len() != 36 + 148 * m.entries.len() + 115 + padded.len() {
        return Err("sent_len".into());
    }

    // The relay's split builds each received envelope; each recipient opens its own.
    let parsed = SentEnvelope::parse(&sent).map_err(|e| e.to_string())?;
    let split = parsed.split();
    if split.len() != m.entries.len() {
        return Err("split count".into());
    }
    for ((en, received), d) in m.entries.iter().zip(&received_all).zip(&split) {
        let p = &v.recipients[en.recipient];
        same("split account", &d.account.to_bytes(), &p.account_id)?;
        if d.device_id != p.device_id {
            return Err("split device id".into());
        }
        same("split envelope", &d.envelope, &en.received)?;
        check_opened(
            v,
            p,
            m.now,
            received,
            &en.opened,
            m.content_type,
            &m.message,
        )?;
    }

    // sotto_sealed's seal_multi, given E then K and the recipients in input order, writes the
    // same message.
    let input: Vec<Recipient> = m
        .recipients
        .iter()
        .map(|&i| {
            let p = &v.recipients[i];
            Ok(Recipient {
                account: sotto_devices::AccountId::from_bytes(arr(&unhex(&p.account_id)?)?),
                device_id: p.device_id,
                identity: identity_of(p)?.public(),
            })
        })
        .collect::<Result<_, String>>()?;
    let cert =
        SenderCertificate::from_bytes(&unhex(&v.sender.certificate)?).map_err(|e| e.to_string())?;
    let mut rng = ScriptedRng::new(vec![e, k]);
    let sealed = seal_multi(
        &identity_of(&v.sender.party)?,
        &mut StaticCache::new(),
        &cert,
        &input,
        m.content_type,
        &message,
        &mut rng,
    )
    .map_err(|e| e.to_string())?;
    same("seal_multi's message", &sealed, &m.sent)
}

#[test]
fn the_file_is_what_the_generator_writes() {
    assert_eq!(generate().unwrap(), load());
}

#[test]
fn labels_and_fixture_are_those_of_the_document_and_certificates_json() {
    let v = load();
    assert_eq!(
        unhex(&v.info_ephemeral).unwrap(),
        b"Sotto/1 sealed envelope ephemeral"
    );
    assert_eq!(
        unhex(&v.info_static).unwrap(),
        b"Sotto/1 sealed envelope static"
    );
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/certificates.json");
    let certs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(certs["root"], v.root.as_str());
    assert_eq!(
        certs["server"]["certificate"],
        v.server_certificate.as_str()
    );
    assert_eq!(
        certs["sender"]["certificate"],
        v.sender.certificate.as_str()
    );
    assert_eq!(
        certs["sender"]["signing_seed"],
        v.sender.party.signing_seed.as_str()
    );
    assert_eq!(
        certs["sender"]["identity_private"],
        v.sender.party.identity_private.as_str()
    );
    assert_eq!(
        certs["sender"]["account_id"],
        v.sender.party.account_id.as_str()
    );
    assert_eq!(certs["sender"]["device_id"], v.sender.party.device_id);
    assert_eq!(certs["sender"]["expires"], v.sender.expires);
    let cert = unhex(&v.sender.certificate).unwrap();
    assert_eq!(hex::encode(&cert[22..86]), v.sender.party.identity);
}

#[test]
fn every_single_recipient_case_recomputes_and_opens() {
    let v = load();
    assert!(v.single.len() >= 3);
    let lens: Vec<usize> = v
        .single
        .iter()
        .map(|c| unhex(&c.message).unwrap().len())
        .collect();
    assert!(
        lens.contains(&0) && lens.iter().any(|&l| l > 256),
        "{lens:?}"
    );
    for i in 0..v.single.len() {
        check_single(&v, i).unwrap_or_else(|e| panic!("single[{i}]: {e}"));
    }
}

#[test]
fn the_multi_recipient_case_recomputes_splits_and_opens() {
    let v = load();
    let m = &v.multi;
    assert_eq!(m.entries.len(), 3);
    // Two devices of one account, one of another, handed over unsorted.
    let accounts: BTreeSet<&str> = m
        .recipients
        .iter()
        .map(|&i| v.recipients[i].account_id.as_str())
        .collect();
    assert_eq!(accounts.len(), 2);
    let order: Vec<usize> = m.entries.iter().map(|e| e.recipient).collect();
    assert_ne!(order, m.recipients, "the input is already sorted");
    check_multi(&v).unwrap();
}

#[test]
fn every_negative_case_is_refused_as_listed() {
    let v = load();
    for case in &v.negative {
        assert_eq!(
            run_negative(&v, case).as_deref(),
            Ok(case.expected_error.as_str()),
            "case {} ({}): {}",
            case.id,
            case.validation_id,
            case.comment
        );
        // The expected reason carries the case's ID.
        let named = case.expected_error.split("::").nth(1).unwrap();
        let variant: String = named
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        let id = match variant.as_str() {
            "WrongTag" if case.operation == "open" => "SEAL-ENV-01",
            "WrongSubtype" if case.operation == "open" => "SEAL-ENV-02",
            "Length" if case.operation == "open" => "SEAL-ENV-03",
            "NonContributory" | "NonCanonicalEphemeral" => "SEAL-ENV-04",
            "Layer1" => "SEAL-ENV-05",
            "SenderIdentity" => "SEAL-ENV-06",
            "Layer2" => "SEAL-ENV-07",
            "Content" => "SEAL-ENV-08",
            "Certificate" => "SEAL-ENV-09",
            "Padding" => "SEAL-ENV-10",
            "WrongTag" => "SEAL-MR-01",
            "WrongSubtype" => "SEAL-MR-02",
            "RecipientCount" => "SEAL-MR-03",
            "Length" => "SEAL-MR-04",
            "Order" => "SEAL-MR-05",
            other => panic!("unknown variant {other}"),
        };
        assert_eq!(id, case.validation_id, "case {}", case.id);
    }
    let covered: BTreeSet<String> = v.negative.iter().map(|c| c.validation_id.clone()).collect();
    let documented = validation_ids(&["SEAL-ENV-", "SEAL-MR-"]);
    assert_eq!(documented.len(), 15, "section 5: {documented:?}");
    assert_eq!(covered, documented);
    // The cases the brief of 9.6 lists are there.
    for needle in [
        "Certificate(CertificateError::Signature)",
        "Certificate(CertificateError::Expired)",
        "Padding(PaddingError::NotCanonical)",
        "OpenReason::Content",
    ] {
        assert!(
            v.negative.iter().any(|c| c.expected_error.contains(needle)),
            "{needle}"
        );
    }
}

#[test]
fn the_checks_catch_a_mutated_vector() {
    let v = load();
    let flip = |s: &mut String| {
        let mut b = hex::decode(&*s).unwrap();
        b[0] ^= 0x01;
        *s = hex::encode(b);
    };
    // Every intermediate a single case lists is compared.
    for field in 0..8 {
        let mut bad = v.clone();
        let c = &mut bad.single[1];
        flip(match field {
            0 => &mut c.e1,
            1 => &mut c.okm1,
            2 => &mut c.layer1_ct,
            3 => &mut c.s,
            4 => &mut c.key2,
            5 => &mut c.inner,
            6 => &mut c.layer2_ct,
            _ => &mut c.envelope,
        });
        assert!(check_single(&bad, 1).is_err(), "single field {field}");
    }
    let mut bad = v.clone();
    bad.single[0].opened.message = "00".into();
    assert!(check_single(&bad, 0).is_err());
    for field in 0..4 {
        let mut bad = v.clone();
        let m = &mut bad.multi;
        flip(match field {
            0 => &mut m.content_ct,
            1 => &mut m.entries[2].wrap,
            2 => &mut m.entries[0].received,
            _ => &mut m.sent,
        });
        assert!(check_multi(&bad).is_err(), "multi field {field}");
    }
    let mut bad = v.clone();
    bad.multi.entries.swap(0, 1);
    assert!(check_multi(&bad).is_err(), "unsorted entries");
    // A negative with the wrong reason, and a positive envelope listed as a negative.
    let mut case = v.negative[0].clone();
    case.expected_error = "OpenReason::Layer1".into();
    assert_ne!(run_negative(&v, &case).as_deref(), Ok("OpenReason::Layer1"));
    case.input.clone_from(&v.single[0].envelope);
    assert_eq!(run_negative(&v, &case), Err("opened".into()));
}
