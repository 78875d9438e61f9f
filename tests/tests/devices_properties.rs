//! Property tests for multi-device delivery (style point 16; protocol.md 8.4, 8.5), over the
//! model world of `sotto_tests::world`.
//!
//! Proptest generates a [`Script`]: two or three users with one to three devices each, and up
//! to [`MAX_SCRIPT`] operations: link a device, revoke one (never the account-key holder),
//! send from a listed device to any account (its own included), receive (drain a mailbox),
//! receive with the acknowledgements lost (at-least-once delivery: the relay delivers the
//! same mail again), restart a device from its store, and relay misbehaviour: a delivery lost
//! before acknowledgement (the mail stays queued and comes after the rest), a queued mail
//! duplicated, a mailbox reordered, an older list served once to a sender (it gets a stale
//! answer or a refused rollback, and must converge). Then every device fetches every list it
//! knows and receives until the mailboxes are empty (bounded rounds), every listed device
//! sends once more (to the next user) and that is drained too.
//!
//! The engine and the exact statement of the property are in
//! `sotto_tests::fuzz_targets::multi_device` (shared with the fuzz target of that name).
//! In short, with `At(m)` the devices of the recipient account's list and of the sender
//! account's list (without the sending device) when message `m` was sent, as the relay
//! published them:
//!
//! - `m` is delivered at most once on any device, only on devices of `At(m)` (never on a
//!   device linked later, never on a device in no signed list), attributed to its sender, and
//!   never on a device that learned it was revoked;
//! - at the end `m` was delivered exactly once on every device of `At(m)` still listed,
//!   except where its sender was revoked since and the device refused it as from a device no
//!   longer in the list (DEV-TR-05). A device revoked since is not required to have it: it
//!   may have learned of its revocation before reading it;
//! - a corrupted or misattributed copy of queued mail (generated here too) is refused and
//!   leaves the device's store byte for byte unchanged, or, as an exact copy from the right
//!   device, is that mail's delivery (the original then is a refused duplicate);
//! - every refusal is expected (a duplicate of a message the device read, mail from a revoked
//!   sender, mail to a device that learned it was revoked); every other error, and every send
//!   from a listed device that does not go through, fails the property.
//!
//! `every_message_reaches_exactly_the_listed_devices_once` runs
//! `sotto_tests::properties::cases(256)` cases and then asserts that revocations, links,
//! restarts, refused duplicates, refused mail from revoked senders, refusals on revoked
//! devices and converged stale sends each happened in at least 1 % of them.

use std::cell::Cell;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use sotto_tests::fuzz_targets::multi_device::{Op, Script, Stats, run_script};
use sotto_tests::properties::{assert_exercised, cases, run};

/// Longest script. 256 cases take about 23 s of CPU time in a debug build (32 s of wall time
/// on two shared cores), 7 s in a release build.
const MAX_SCRIPT: usize = 40;

fn op() -> impl Strategy<Value = Op> {
    let d = any::<u8>;
    prop_oneof![
        2 => any::<u8>().prop_map(|user| Op::Link { user }),
        2 => (d(), d()).prop_map(|(user, device)| Op::Revoke { user, device }),
        8 => (d(), d(), d()).prop_map(|(user, device, to)| Op::Send { user, device, to }),
        6 => (d(), d()).prop_map(|(user, device)| Op::Receive { user, device }),
        2 => (d(), d()).prop_map(|(user, device)| Op::ReceiveUnacknowledged { user, device }),
        2 => (d(), d()).prop_map(|(user, device)| Op::Restart { user, device }),
        2 => (d(), d(), d()).prop_map(|(user, device, index)| Op::LoseDelivery { user, device, index }),
        2 => (d(), d(), d(), d()).prop_map(|(user, device, index, position)| Op::Duplicate {
            user,
            device,
            index,
            position
        }),
        2 => (d(), d(), d(), any::<bool>()).prop_map(|(user, device, shift, reverse)| Op::Reorder {
            user,
            device,
            shift,
            reverse
        }),
        2 => (d(), d()).prop_map(|(user, device)| Op::StaleList { user, device }),
        // A corrupted copy of queued mail (or, with mask 0, an exact one) delivered as if
        // from some device: refused without a trace, or an early delivery of that mail.
        1 => (d(), d(), d(), any::<u16>(), d(), d(), 1..=4u8).prop_map(
            |(user, device, index, byte, mask, from, from_device)| Op::InjectMutated {
                user,
                device,
                index,
                byte,
                mask,
                from,
                from_device
            }
        ),
    ]
}

fn script() -> impl Strategy<Value = Script> {
    (
        prop::collection::vec(1..=3u8, 2..=3),
        any::<u64>(),
        prop::collection::vec(op(), 1..=MAX_SCRIPT),
    )
        .prop_map(|(devices, seed, ops)| Script { devices, seed, ops })
}

#[test]
fn every_message_reaches_exactly_the_listed_devices_once() {
    let cases = cases(256);
    let counters: [(&str, Cell<u64>); 7] = [
        ("a revocation", Cell::new(0)),
        ("a link", Cell::new(0)),
        ("a restart", Cell::new(0)),
        ("a refused duplicate", Cell::new(0)),
        ("refused mail from a revoked sender", Cell::new(0)),
        (
            "a refusal on a device that learned it was revoked",
            Cell::new(0),
        ),
        ("a send that met a stale list and converged", Cell::new(0)),
    ];
    let total = Cell::new(Stats::default());
    run(file!(), cases, &script(), |script| {
        let stats = run_script(&script).map_err(TestCaseError::fail)?;
        let mut t = total.get();
        t.sent += stats.sent;
        t.delivered += stats.delivered;
        t.duplicates_refused += stats.duplicates_refused;
        t.from_revoked_refused += stats.from_revoked_refused;
        t.to_revoked_refused += stats.to_revoked_refused;
        t.stale_converged += stats.stale_converged;
        t.links += stats.links;
        t.revocations += stats.revocations;
        t.restarts += stats.restarts;
        t.injections_refused += stats.injections_refused;
        t.injections_accepted += stats.injections_accepted;
        total.set(t);
        for (i, happened) in [
            stats.revocations,
            stats.links,
            stats.restarts,
            stats.duplicates_refused,
            stats.from_revoked_refused,
            stats.to_revoked_refused,
            stats.stale_converged,
        ]
        .into_iter()
        .enumerate()
        {
            counters[i]
                .1
                .set(counters[i].1.get() + u64::from(happened > 0));
        }
        Ok(())
    });
    eprintln!("totals over {cases} cases: {:?}", total.get());
    for (name, counter) in &counters {
        assert_exercised(cases, name, counter);
    }
}
