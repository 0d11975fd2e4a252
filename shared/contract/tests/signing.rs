//! Sealing and opening events with development keys.

use checkout_contract::signing::{BadSignature, EventSigner, EventVerifier};
use checkout_testing::DevSigningKey;
use jsonwebtoken::jwk::JwkSet;

fn pair() -> (EventSigner, DevSigningKey) {
    let key = DevSigningKey::generate().unwrap();
    (EventSigner::from_pem(key.pem()).unwrap(), key)
}

fn verifier(keys: &[&DevSigningKey]) -> EventVerifier {
    let set = JwkSet {
        keys: keys.iter().map(|k| k.jwk().clone()).collect(),
    };
    EventVerifier::from_jwks(&serde_json::to_vec(&set).unwrap()).unwrap()
}

#[test]
fn a_sealed_event_opens_to_its_exact_payload() {
    let (signer, key) = pair();
    let payload = r#"{"order_id":"x", "total_cents":12000}"#;
    let sealed = signer.seal(payload);
    assert_eq!(verifier(&[&key]).open(sealed.as_bytes()), Ok(payload.to_owned()));
    assert_eq!(signer.kid(), key.jwk().common.key_id.as_deref().unwrap());
}

#[test]
fn unsigned_forged_altered_and_unknown_key_events_are_refused() {
    let (signer, key) = pair();
    let (stranger, stranger_key) = pair();
    let trusted = verifier(&[&key]);
    let payload = r#"{"total_cents":12000}"#;
    assert_eq!(trusted.open(payload.as_bytes()), Err(BadSignature::NotSealed));
    assert_eq!(trusted.open(b"not json"), Err(BadSignature::NotSealed));
    let unknown = stranger.seal(payload);
    assert!(matches!(
        trusted.open(unknown.as_bytes()),
        Err(BadSignature::UnknownKey(_))
    ));
    // Another key's signature under the trusted kid.
    let mut forged: serde_json::Value = serde_json::from_str(&unknown).unwrap();
    forged["kid"] = signer.kid().into();
    assert_eq!(trusted.open(forged.to_string().as_bytes()), Err(BadSignature::Invalid));
    // The trusted key's signature over other bytes.
    let mut altered: serde_json::Value = serde_json::from_str(&signer.seal(payload)).unwrap();
    altered["payload"] = r#"{"total_cents":99999}"#.into();
    assert_eq!(trusted.open(altered.to_string().as_bytes()), Err(BadSignature::Invalid));
    let mut reformatted: serde_json::Value = serde_json::from_str(&signer.seal(payload)).unwrap();
    reformatted["payload"] = r#"{"total_cents": 12000}"#.into();
    assert_eq!(
        trusted.open(reformatted.to_string().as_bytes()),
        Err(BadSignature::Invalid),
        "the signature covers the exact bytes"
    );
    assert!(verifier(&[&stranger_key]).open(unknown.as_bytes()).is_ok());
}

#[test]
fn several_trusted_keys_let_the_publisher_rotate() {
    let (old, old_key) = pair();
    let (new, new_key) = pair();
    let both = verifier(&[&old_key, &new_key]);
    assert_eq!(both.len(), 2);
    assert!(both.open(old.seal("{}").as_bytes()).is_ok());
    assert!(both.open(new.seal("{}").as_bytes()).is_ok());
}
