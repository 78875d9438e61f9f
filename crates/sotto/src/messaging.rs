//! Sending, receiving and the prekey upkeep of a [`Client`].

use serde_json::json;
use sotto_devices::{AccountId, DeviceError, Received, StaleDevices, TrustError};
use sotto_handshake::{Incoming, PrekeyBundle, VerifiedBundle};
use sotto_sealed::access::{CONTENT_TYPE_MESSAGE, ProfileKey};
use sotto_sealed::certificate::SenderCertificate;
use sotto_sealed::envelope::{open_cached, seal_cached};

use crate::client::{CERTIFICATE_RENEW_BEFORE, Client, Event, bundles_after, now};
use crate::content;
use crate::error::ClientError;
use crate::relay::{self, Auth, b64, ok_json, unb64};
use crate::transport::{Method, Transport};

/// Envelopes for one account: `(device id, sealed envelope)`.
type Envelopes = Vec<(u32, Vec<u8>)>;

/// What the relay did with one account's envelopes.
enum Posted {
    Stored,
    Stale(StaleDevices),
}

/// The first, blocking, step of processing one envelope.
enum Opened {
    /// Decrypted.
    Done(Received, bool),
    /// The sender's account is unknown, or the device not in the list held: fetch the list.
    NeedList {
        account: AccountId,
        device_id: u32,
        bytes: Vec<u8>,
        initial: bool,
    },
    /// Dropped.
    Undecryptable,
}

fn is_initial(bytes: &[u8]) -> bool {
    matches!(Incoming::from_bytes(bytes), Ok(Incoming::Initial(_)))
}

/// A device error that means the store or the device is unusable, not that one message is
/// bad: it ends the receive call instead of dropping the message.
const fn is_fatal(e: &DeviceError) -> bool {
    matches!(
        e,
        DeviceError::Store(_) | DeviceError::Broken | DeviceError::Revoked
    )
}

impl<T: Transport> Client<T> {
    // ------------------------------------------------------------------ sending

    /// Sends `text` to `to`: to every trusted device of the account, and a copy to every
    /// other device of this account. The peer's device list is fetched and observed first
    /// (its trust events come with the next [`Client::receive`]); a pending key change
    /// blocks the send (`DeviceError::Trust(TrustError::KeyChangePending)`) until
    /// [`Client::accept_key_change`]. Each device message is sealed (sealed sender) and
    /// posted with the recipient's access key; to an account whose profile key this device
    /// does not hold yet, it goes by the identified send instead (first contact). A stale
    /// device set is refreshed and retried once.
    ///
    /// The relay's profile ([`Client::relay_profile`]) picks the path: under `transport`
    /// the text goes to the server in plaintext (`POST /v1/transport`: no end-to-end
    /// encryption exists there); under `e2ee` and `traceable` every envelope goes
    /// identified (`traceable` adds the text's originator hash); under `sotto` only sealed
    /// sends exist, and an account whose contact card this device lacks is refused
    /// ([`ClientError::NoAccessKey`]) before anything is sent.
    pub async fn send_text(&mut self, to: AccountId, text: &str) -> Result<(), ClientError> {
        if text.len() > content::MAX_TEXT_LEN {
            return Err(ClientError::TooLong);
        }
        let profile = self.relay_profile().await?;
        if profile.plaintext {
            return self.send_plaintext(to, text).await;
        }
        if !profile.identified && to != self.account && self.peer_profile_key(to).is_none() {
            return Err(ClientError::NoAccessKey(to));
        }
        self.maintain().await?;
        let list = relay::device_list(&self.transport, to).await?;
        let observed = self
            .with_device(move |d, _| Ok(d.observe_list(list, &mut rand::rng())?))
            .await?;
        self.queue(observed);
        let certificate = self.sender_certificate().await?;
        let mut only: Option<Vec<AccountId>> = None;
        for attempt in 0..2 {
            let sealed = self.seal_text(to, text, &certificate).await?;
            let mut stale = Vec::new();
            for (account, envelopes) in sealed {
                if only.as_ref().is_some_and(|o| !o.contains(&account)) {
                    // Already delivered in the first attempt: this copy is dropped (the
                    // receiver sees a skipped message key, nothing else).
                    continue;
                }
                if let Posted::Stale(s) = self.post(account, envelopes, text).await? {
                    stale.push(s);
                }
            }
            if stale.is_empty() {
                return Ok(());
            }
            if attempt == 1 {
                return Err(ClientError::StillStale(stale[0].account));
            }
            for s in &stale {
                let fresh = relay::device_list(&self.transport, s.account).await?;
                let s = StaleDevices {
                    account: s.account,
                    missing: s.missing.clone(),
                    extra: s.extra.clone(),
                };
                let observed = self
                    .with_device(move |d, _| Ok(d.handle_stale(&s, fresh, &mut rand::rng())?))
                    .await?;
                self.queue(observed);
            }
            only = Some(stale.iter().map(|s| s.account).collect());
        }
        Ok(())
    }

    /// Encrypts and seals `text` for every recipient device, fetching bundles for the
    /// devices without a session.
    async fn seal_text(
        &mut self,
        to: AccountId,
        text: &str,
        certificate: &SenderCertificate,
    ) -> Result<Vec<(AccountId, Envelopes)>, ClientError> {
        let (missing, recipients) = self
            .with_device(move |d, _| Ok((d.missing_sessions(to)?, d.recipients(to)?)))
            .await?;
        let bundles = self.fetch_bundles(&missing).await?;
        // The share goes along until every recipient device showed it holds the key (it
        // sent to this device sealed, with this account's access key).
        let share = self.own_profile_key().filter(|_| {
            recipients
                .iter()
                .any(|(a, d)| !self.state.sealed_from.contains(&(a.to_hex(), *d)))
        });
        let plaintext = zeroize::Zeroizing::new(
            content::encode(text, share.as_ref()).ok_or(ClientError::TooLong)?,
        );
        let certificate = certificate.clone();
        self.with_device(move |d, cache| {
            let mut rng = rand::rng();
            let fan_outs = d.encrypt(to, &plaintext, &bundles, &mut rng)?;
            let me = d.sealed_sender_identity()?;
            let mut out = Vec::with_capacity(fan_outs.len());
            for fan_out in fan_outs {
                let account = fan_out.account();
                let list = d
                    .account(account)
                    .and_then(|t| t.list())
                    .ok_or(DeviceError::UnknownAccount(account))?
                    .list()
                    .clone();
                let mut envelopes = Vec::with_capacity(fan_out.entries().len());
                for (device_id, message) in fan_out.entries() {
                    let entry = list
                        .device(*device_id)
                        .ok_or(TrustError::GhostDevice(*device_id))
                        .map_err(DeviceError::from)?;
                    let envelope = seal_cached(
                        &me,
                        cache,
                        &certificate,
                        entry.identity(),
                        CONTENT_TYPE_MESSAGE,
                        message,
                        &mut rng,
                    )?;
                    envelopes.push((*device_id, envelope));
                }
                out.push((account, envelopes));
            }
            Ok(out)
        })
        .await
    }

    /// One bundle per device in `missing`, fetched per account and verified.
    async fn fetch_bundles(
        &self,
        missing: &[(AccountId, u32)],
    ) -> Result<Vec<(AccountId, u32, VerifiedBundle)>, ClientError> {
        let mut accounts: Vec<AccountId> = missing.iter().map(|(a, _)| *a).collect();
        accounts.dedup();
        let mut out = Vec::new();
        for account in accounts {
            let response = relay::call(
                &self.transport,
                Method::Get,
                format!("/v1/accounts/{}/bundles", account.to_hex()),
                Auth::None,
                None,
            )
            .await?;
            let answer: relay::Bundles = ok_json(&response)?;
            for b in answer.bundles {
                if missing.contains(&(account, b.device_id)) {
                    let bundle = PrekeyBundle::from_bytes(&unb64(&b.bundle)?)
                        .map_err(|_| ClientError::MalformedAnswer("bundle"))?
                        .verify()
                        .map_err(|_| ClientError::MalformedAnswer("bundle signature"))?;
                    out.push((account, b.device_id, bundle));
                }
            }
        }
        Ok(out)
    }

    /// `POST /v1/transport`: the text in plaintext to the server (the `transport` profile).
    async fn send_plaintext(&mut self, to: AccountId, text: &str) -> Result<(), ClientError> {
        let response = relay::call(
            &self.transport,
            Method::Post,
            "/v1/transport".to_owned(),
            Auth::Token(&self.state.token),
            Some(json!({"recipient": to.to_hex(), "text": text})),
        )
        .await?;
        ok_json::<serde_json::Value>(&response).map(drop)
    }

    /// Posts one account's envelopes: sealed with its access key if this device holds its
    /// profile key and the relay takes sealed sends, else identified. A refused access key
    /// (the owner rotated its profile key) drops the key and falls back to the identified
    /// send where the relay takes one. Copies to this account's other devices go sealed
    /// with the device's token beside the own access key (so that the sending device may
    /// be left out; the relay records no sender), or identified where sealed sends do not
    /// exist.
    async fn post(
        &mut self,
        account: AccountId,
        envelopes: Envelopes,
        text: &str,
    ) -> Result<Posted, ClientError> {
        let profile = self.relay_profile().await?;
        let mut body = json!({
            "recipient": account.to_hex(),
            "envelopes": envelopes
                .iter()
                .map(|(id, e)| json!({"device_id": id, "envelope": b64(e)}))
                .collect::<Vec<_>>(),
        });
        let key = profile
            .sealed
            .then(|| self.peer_profile_key(account))
            .flatten();
        if let Some(key) = key {
            let access = b64(key.access_key().to_bytes().expose());
            let auth = if account == self.account {
                Auth::TokenAndKey(&self.state.token, &access)
            } else {
                Auth::AccessKey(&access)
            };
            let response = relay::call(
                &self.transport,
                Method::Post,
                "/v1/sealed".to_owned(),
                auth,
                Some(body.clone()),
            )
            .await?;
            if let Some(s) = relay::stale(&response) {
                return Ok(Posted::Stale(s));
            }
            match ok_json::<serde_json::Value>(&response) {
                Ok(_) => return Ok(Posted::Stored),
                Err(ClientError::Relay { status: 401, .. }) if account != self.account => {
                    self.state.peers.remove(&account.to_hex());
                    self.save().await?;
                }
                Err(e) => return Err(e),
            }
        }
        if !profile.identified {
            return Err(ClientError::NoAccessKey(account));
        }
        if profile.trace {
            body["trace"] = json!(b64(&crate::content::trace_hash(text)));
        }
        let response = relay::call(
            &self.transport,
            Method::Post,
            "/v1/messages".to_owned(),
            Auth::Token(&self.state.token),
            Some(body),
        )
        .await?;
        if let Some(s) = relay::stale(&response) {
            return Ok(Posted::Stale(s));
        }
        ok_json::<serde_json::Value>(&response).map(|_| Posted::Stored)
    }

    /// This device's sender certificate, renewed when it has less than
    /// [`CERTIFICATE_RENEW_BEFORE`] left; checked against the pinned root.
    async fn sender_certificate(&mut self) -> Result<SenderCertificate, ClientError> {
        if let Some((c, expires)) = &self.sender_certificate
            && *expires > now().saturating_add(CERTIFICATE_RENEW_BEFORE)
        {
            return Ok(c.clone());
        }
        let store = self.certificates().await?;
        let response = relay::call(
            &self.transport,
            Method::Post,
            "/v1/certificate".to_owned(),
            Auth::Token(&self.state.token),
            None,
        )
        .await?;
        let answer: relay::Certificate = ok_json(&response)?;
        let certificate = SenderCertificate::from_bytes(&unb64(&answer.certificate)?)?;
        let verified = certificate.verify(&store, now())?;
        if verified.account_id() != self.account || verified.device_id() != self.device_id {
            return Err(ClientError::MalformedAnswer(
                "certificate of another device",
            ));
        }
        self.sender_certificate = Some((certificate.clone(), verified.expires()));
        Ok(certificate)
    }

    // ------------------------------------------------------------------ receiving

    /// Fetches this device's mail (without waiting) and processes it: see
    /// [`Client::receive_wait`].
    pub async fn receive(&mut self) -> Result<Vec<Event>, ClientError> {
        self.receive_wait(0).await
    }

    /// Fetches this device's mail, waiting up to `wait` seconds (at most 30) for some, and
    /// processes it in order: each envelope is opened (its sender certificate verified
    /// against the pinned trust root) and decrypted, which commits the sessions to the
    /// store; the message ids are kept in the client state, then acknowledged. A message
    /// whose id is kept as processed (its acknowledgement was lost) is acknowledged again
    /// and not returned twice. Returns the messages and the trust events (including those
    /// observed while sending since the last call). An acknowledgement that fails is
    /// retried on the next call.
    pub async fn receive_wait(&mut self, wait: u64) -> Result<Vec<Event>, ClientError> {
        // The profile decides the kind of the sessions a message sets up here.
        self.relay_profile().await?;
        self.maintain().await?;
        let store = self.certificates().await?;
        let response = relay::call(
            &self.transport,
            Method::Get,
            format!("/v1/messages?wait={}", wait.min(30)),
            Auth::Token(&self.state.token),
            None,
        )
        .await?;
        let answer: relay::Messages = ok_json(&response)?;
        let mut events = core::mem::take(&mut self.events);
        let mut prekeys_used = false;
        let mut result = Ok(());
        for message in answer.messages {
            if self.state.pending_acks.contains(&message.id) {
                continue;
            }
            match self.process(&store, &message).await {
                Ok((event, initial)) => {
                    prekeys_used |= initial;
                    events.extend(event);
                    self.state.pending_acks.push(message.id);
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.save().await?;
        self.acknowledge().await;
        result?;
        if prekeys_used {
            self.state.next_prekey_check = 0;
            self.maintain().await?;
        }
        Ok(events)
    }

    /// Acknowledges the processed ids; on success forgets them. A failure keeps them for the
    /// next call (the relay ignores ids acknowledged twice).
    async fn acknowledge(&mut self) {
        if self.state.pending_acks.is_empty() {
            return;
        }
        let response = relay::call(
            &self.transport,
            Method::Post,
            "/v1/messages/ack".to_owned(),
            Auth::Token(&self.state.token),
            Some(json!({"ids": self.state.pending_acks})),
        )
        .await;
        if response.is_ok_and(|r| ok_json::<serde_json::Value>(&r).is_ok()) {
            self.state.pending_acks.clear();
            // If this write is lost, the ids are acknowledged again next time: harmless.
            drop(self.save().await);
        }
    }

    /// Opens and decrypts one message. `Err` only for failures of this device (its store,
    /// the transport): the message then stays in the mailbox.
    async fn process(
        &mut self,
        store: &sotto_sealed::certificate::CertificateStore,
        message: &relay::MessageIn,
    ) -> Result<(Vec<Event>, bool), ClientError> {
        let id = message.id;
        if let Some(text) = &message.text {
            // A `transport` message: the relay's word for the sender, nothing to verify.
            let from = message
                .sender
                .as_deref()
                .and_then(|a| relay::parse_account(a).ok());
            return Ok(match (from, message.sender_device) {
                (Some(from), Some(device)) => (
                    vec![Event::Message {
                        id,
                        from,
                        device,
                        to: self.account,
                        text: text.clone(),
                    }],
                    false,
                ),
                _ => (vec![Event::Undecryptable { id }], false),
            });
        }
        let Ok(envelope) = unb64(&message.envelope) else {
            return Ok((vec![Event::Undecryptable { id }], false));
        };
        let store = store.clone();
        let opened = self
            .with_device(move |d, cache| {
                let me = d.sealed_sender_identity()?;
                let Ok(opened) = open_cached(&me, cache, &store, now(), &envelope) else {
                    return Ok(Opened::Undecryptable);
                };
                if opened.content_type != CONTENT_TYPE_MESSAGE {
                    return Ok(Opened::Undecryptable);
                }
                let (account, device_id) = (opened.sender.account_id(), opened.sender.device_id());
                let bytes = opened.message.to_vec();
                let initial = is_initial(&bytes);
                match d.decrypt(account, device_id, &bytes, &mut rand::rng()) {
                    Ok(r) => Ok(Opened::Done(r, initial)),
                    Err(
                        DeviceError::UnknownAccount(_)
                        | DeviceError::Trust(TrustError::GhostDevice(_)),
                    ) => Ok(Opened::NeedList {
                        account,
                        device_id,
                        bytes,
                        initial,
                    }),
                    Err(e) if is_fatal(&e) => Err(e.into()),
                    Err(_) => Ok(Opened::Undecryptable),
                }
            })
            .await?;
        let mut events = Vec::new();
        let (received, initial) = match opened {
            Opened::Done(r, initial) => (r, initial),
            Opened::Undecryptable => return Ok((vec![Event::Undecryptable { id }], false)),
            Opened::NeedList {
                account,
                device_id,
                bytes,
                initial,
            } => {
                let list = relay::device_list(&self.transport, account).await?;
                let outcome = self
                    .with_device(move |d, _| {
                        let mut rng = rand::rng();
                        let result = if d.account(account).is_none() {
                            d.decrypt_first_contact(list, device_id, &bytes, &mut rng)
                        } else {
                            d.observe_list(list, &mut rng).and_then(|observed| {
                                Ok((d.decrypt(account, device_id, &bytes, &mut rng)?, observed))
                            })
                        };
                        match result {
                            Ok(r) => Ok(Some(r)),
                            Err(e) if is_fatal(&e) => Err(e.into()),
                            Err(_) => Ok(None),
                        }
                    })
                    .await?;
                let Some((received, observed)) = outcome else {
                    return Ok((vec![Event::Undecryptable { id }], false));
                };
                events.extend(crate::client::observed_events(observed));
                (received, initial)
            }
        };
        let Ok(content) = content::decode(&received.plaintext) else {
            events.push(Event::Undecryptable { id });
            return Ok((events, initial));
        };
        self.learn(&received, content.share, message.identified);
        events.push(Event::Message {
            id,
            from: received.account,
            device: received.device_id,
            to: received.recipient,
            text: content.text,
        });
        Ok((events, initial))
    }

    /// Keeps what a decrypted message taught: the sender account's profile key, and, for a
    /// sealed message, that the sending device holds this account's.
    fn learn(&mut self, received: &Received, share: Option<ProfileKey>, identified: bool) {
        let account = received.account.to_hex();
        if let Some(key) = share {
            let key = hex::encode(key.expose());
            if received.account == self.account {
                self.state.profile_key.get_or_insert(key);
            } else {
                self.state.peers.insert(account.clone(), key);
            }
        }
        if !identified {
            self.state.sealed_from.insert((account, received.device_id));
        }
    }

    // ------------------------------------------------------------------ prekey upkeep

    /// Rotates the signed prekey when due (replacing every bundle on the relay), and tops
    /// the one-time prekeys up when the relay holds fewer than the policy's
    /// `replenish_below` (checked every `prekey_check_interval`, and right after a receive
    /// that used prekeys). Runs inside [`Client::send_text`] and [`Client::receive`].
    pub async fn maintain(&mut self) -> Result<(), ClientError> {
        let now = now();
        if now
            >= self
                .state
                .signed_prekey_at
                .saturating_add(self.signed_prekey_lifetime)
        {
            let published = self
                .with_device(move |d, _| {
                    let mut rng = rand::rng();
                    d.rotate_signed_prekey(now, &mut rng)?;
                    d.refresh_prekeys(now, &mut rng)?;
                    d.published_prekeys()
                        .ok_or(ClientError::Device(DeviceError::NoDevice))
                })
                .await?;
            let (mut bundles, last_resort, max) = bundles_after(&published, 0);
            let rest = bundles.split_off(bundles.len().min(crate::client::MAX_BUNDLES_PER_UPLOAD));
            let response = relay::call(
                &self.transport,
                Method::Put,
                "/v1/prekeys".to_owned(),
                Auth::Token(&self.state.token),
                Some(json!({
                    "bundles": bundles.iter().map(|b| b64(b)).collect::<Vec<_>>(),
                    "last_resort_bundle": b64(&last_resort),
                })),
            )
            .await?;
            ok_json::<relay::Count>(&response)?;
            self.post_bundles(rest).await?;
            self.state.uploaded_prekey_max = self.state.uploaded_prekey_max.max(max);
            self.state.signed_prekey_at = published.signed_prekey.timestamp();
            self.state.next_prekey_check = now.saturating_add(self.prekey_check_interval);
            self.save().await?;
        }
        if now >= self.state.next_prekey_check {
            let response = relay::call(
                &self.transport,
                Method::Get,
                "/v1/prekeys/count".to_owned(),
                Auth::Token(&self.state.token),
                None,
            )
            .await?;
            let count = ok_json::<relay::Count>(&response)?.count;
            if count < self.policy.replenish_below {
                let published = self
                    .with_device(move |d, _| {
                        d.refresh_prekeys(now, &mut rand::rng())?;
                        d.published_prekeys()
                            .ok_or(ClientError::Device(DeviceError::NoDevice))
                    })
                    .await?;
                let (bundles, _, max) = bundles_after(&published, self.state.uploaded_prekey_max);
                self.post_bundles(bundles).await?;
                self.state.uploaded_prekey_max = max;
            }
            self.state.next_prekey_check = now.saturating_add(self.prekey_check_interval);
            self.save().await?;
        }
        Ok(())
    }
}
