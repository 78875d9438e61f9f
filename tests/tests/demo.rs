//! `sotto demo` runs the real protocol end to end and reports what it claims.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rand::SeedableRng;
use rand::rngs::StdRng;

#[test]
fn demo_runs_and_reports_both_session_kinds() {
    let mut out = Vec::new();
    sotto_cli::demo::run(&mut StdRng::seed_from_u64(1), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("== Standard session =="), "{text}");
    assert!(text.contains("== HeaderEncrypted session =="), "{text}");
    assert_eq!(text.matches("initial message (Pqxdh").count(), 2, "{text}");
    assert_eq!(
        text.matches("decrypts from the skipped-key store").count(),
        2,
        "{text}"
    );
    // The observer sees ratchet keys and counters in the standard kind only.
    assert!(text.contains(", PN 2, N 0"), "{text}");
    assert!(text.contains("opaque: 12"), "{text}");
}
