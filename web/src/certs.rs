//! Certificates as files nginx reads: an uploaded certificate checked before it may be used
//! (PEM, the key matches, the chain is in order and signed link by link, names, dates), an
//! issued one decoded for the list, a fresh key and CSR for an ACME order, and the files
//! written with the key readable by its owner only.

use openssl::asn1::Asn1Time;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::{X509NameRef, X509Req, X509};
use std::path::Path;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CertError {
    #[error("The {0} is not PEM (it starts with -----BEGIN …-----).")]
    NotPem(&'static str),
    #[error("The private key is not one nginx can use: {0}")]
    BadKey(String),
    #[error("The private key does not belong to this certificate (their public keys differ). Paste the key made together with this certificate.")]
    KeyMismatch,
    #[error("The chain is not in order: certificate {position} of the chain did not issue the one before it ({expected} expected). Put the intermediate that issued the certificate first, then the one that issued it, and so on.")]
    ChainOrder { position: usize, expected: String },
    #[error("The certificate names no host (no subject alternative names and no common name).")]
    NoNames,
    #[error("The certificate expired on {0}.")]
    Expired(String),
    #[error("The certificate is not valid before {0}.")]
    NotYetValid(String),
    #[error("{0}")]
    Other(String),
}

impl From<openssl::error::ErrorStack> for CertError {
    fn from(e: openssl::error::ErrorStack) -> Self {
        CertError::Other(e.to_string())
    }
}

/// What the list shows of a certificate, read from its leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub names: Vec<String>,
    pub subject: String,
    pub issuer: String,
    pub not_before: i64,
    pub not_after: i64,
    pub key_type: String,
    /// The leaf followed by its chain, in order: what `ssl_certificate` is given.
    pub fullchain_pem: String,
    /// The chain alone (intermediates), PEM.
    pub chain_pem: String,
}

fn name_text(n: &X509NameRef) -> String {
    n.entries()
        .filter_map(|e| Some(format!("{}={}", e.object().nid().short_name().ok()?, String::from_utf8_lossy(e.data().as_slice()))))
        .collect::<Vec<_>>()
        .join(", ")
}

fn unix(t: &openssl::asn1::Asn1TimeRef) -> Result<i64, CertError> {
    let epoch = Asn1Time::from_unix(0)?;
    let d = epoch.diff(t)?;
    Ok(d.days as i64 * 86_400 + d.secs as i64)
}

fn key_type(key: &PKey<openssl::pkey::Public>) -> String {
    match key.id() {
        openssl::pkey::Id::RSA => format!("RSA {}", key.bits()),
        openssl::pkey::Id::EC => match key.ec_key().ok().and_then(|k| k.group().curve_name()) {
            Some(Nid::X9_62_PRIME256V1) => "ECDSA P-256".into(),
            Some(Nid::SECP384R1) => "ECDSA P-384".into(),
            _ => format!("ECDSA {}", key.bits()),
        },
        openssl::pkey::Id::ED25519 => "Ed25519".into(),
        other => format!("{other:?}"),
    }
}

fn names_of(cert: &X509) -> Vec<String> {
    let mut names: Vec<String> = cert.subject_alt_names().map(|sans| sans.iter().filter_map(|g| g.dnsname().map(str::to_string)).collect()).unwrap_or_default();
    if names.is_empty() {
        names = cert.subject_name().entries_by_nid(Nid::COMMONNAME).map(|e| String::from_utf8_lossy(e.data().as_slice()).into_owned()).collect();
    }
    names
}

fn pems(certs: &[X509]) -> Result<String, CertError> {
    let mut out = String::new();
    for c in certs {
        out.push_str(&String::from_utf8_lossy(&c.to_pem()?));
    }
    Ok(out)
}

/// Reads a leaf and its chain (the chain may also follow the leaf in `cert_pem`).
fn read_chain(cert_pem: &str, chain_pem: &str) -> Result<Vec<X509>, CertError> {
    if !cert_pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(CertError::NotPem("certificate"));
    }
    let mut certs = X509::stack_from_pem(cert_pem.as_bytes()).map_err(|_| CertError::NotPem("certificate"))?;
    if !chain_pem.trim().is_empty() {
        if !chain_pem.contains("-----BEGIN CERTIFICATE-----") {
            return Err(CertError::NotPem("chain"));
        }
        certs.extend(X509::stack_from_pem(chain_pem.as_bytes()).map_err(|_| CertError::NotPem("chain"))?);
    }
    if certs.is_empty() {
        return Err(CertError::NotPem("certificate"));
    }
    Ok(certs)
}

/// Every link of the chain must be issued (and signed) by the next one.
fn check_order(certs: &[X509]) -> Result<(), CertError> {
    for (i, pair) in certs.windows(2).enumerate() {
        let (child, parent) = (&pair[0], &pair[1]);
        let names_match = child.issuer_name().to_der()? == parent.subject_name().to_der()?;
        let key = parent.public_key()?;
        if !names_match || !child.verify(&key).unwrap_or(false) {
            return Err(CertError::ChainOrder { position: i + 1, expected: name_text(child.issuer_name()) });
        }
    }
    Ok(())
}

fn info(certs: &[X509]) -> Result<CertInfo, CertError> {
    let leaf = &certs[0];
    Ok(CertInfo {
        names: names_of(leaf),
        subject: name_text(leaf.subject_name()),
        issuer: name_text(leaf.issuer_name()),
        not_before: unix(leaf.not_before())?,
        not_after: unix(leaf.not_after())?,
        key_type: key_type(&leaf.public_key()?),
        fullchain_pem: pems(certs)?,
        chain_pem: pems(&certs[1..])?,
    })
}

/// Checks an upload (see the module comment) at unix time `now`.
pub fn inspect_upload(cert_pem: &str, key_pem: &str, chain_pem: &str, now: i64) -> Result<CertInfo, CertError> {
    let certs = read_chain(cert_pem, chain_pem)?;
    if !key_pem.contains("PRIVATE KEY-----") {
        return Err(CertError::NotPem("private key"));
    }
    if key_pem.contains("ENCRYPTED") {
        return Err(CertError::BadKey("it is protected by a passphrase; nginx needs it without one (openssl pkey -in key.pem -out plain.pem)".into()));
    }
    let key = PKey::private_key_from_pem(key_pem.as_bytes()).map_err(|e| CertError::BadKey(e.errors().first().and_then(|e| e.reason()).unwrap_or("unreadable").to_string()))?;
    if !certs[0].public_key()?.public_eq(&key) {
        return Err(CertError::KeyMismatch);
    }
    check_order(&certs)?;
    let info = info(&certs)?;
    if info.names.is_empty() {
        return Err(CertError::NoNames);
    }
    if info.not_after <= now {
        return Err(CertError::Expired(certs[0].not_after().to_string()));
    }
    if info.not_before > now + 300 {
        return Err(CertError::NotYetValid(certs[0].not_before().to_string()));
    }
    Ok(info)
}

/// Decodes an issued (or stored) full chain.
pub fn inspect_chain(fullchain_pem: &str) -> Result<CertInfo, CertError> {
    info(&read_chain(fullchain_pem, "")?)
}

/// The leaf's full decoded text (as `openssl x509 -text` prints it).
pub fn decoded_text(fullchain_pem: &str) -> Result<String, CertError> {
    let certs = read_chain(fullchain_pem, "")?;
    Ok(String::from_utf8_lossy(&certs[0].to_text()?).into_owned())
}

/// A new ECDSA P-256 key (PEM, PKCS#8) and a CSR (DER) for `names`.
pub fn new_key_and_csr(names: &[String]) -> Result<(String, Vec<u8>), CertError> {
    let group = openssl::ec::EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    let key: PKey<Private> = PKey::from_ec_key(openssl::ec::EcKey::generate(&group)?)?;
    let mut req = X509Req::builder()?;
    req.set_pubkey(&key)?;
    let mut san = openssl::x509::extension::SubjectAlternativeName::new();
    for n in names {
        san.dns(n);
    }
    let mut exts = openssl::stack::Stack::new()?;
    exts.push(san.build(&req.x509v3_context(None))?)?;
    req.add_extensions(&exts)?;
    req.sign(&key, openssl::hash::MessageDigest::sha256())?;
    let key_pem = String::from_utf8(key.private_key_to_pem_pkcs8()?).map_err(|e| CertError::Other(e.to_string()))?;
    Ok((key_pem, req.build().to_der()?))
}

/// Writes `fullchain.pem` (0644) and `key.pem` (0600) into `dir`, each through a temporary file
/// renamed over the old one, so nginx never reads half a file.
pub fn store(dir: &Path, fullchain_pem: &str, key_pem: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    for (name, text, mode) in [("key.pem", key_pem, 0o600), ("fullchain.pem", fullchain_pem, 0o644)] {
        let tmp = dir.join(format!(".{name}.tmp"));
        let _ = std::fs::remove_file(&tmp);
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(name))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::x509::{X509Builder, X509NameBuilder};

    fn name(cn: &str) -> openssl::x509::X509Name {
        let mut b = X509NameBuilder::new().unwrap();
        b.append_entry_by_text("CN", cn).unwrap();
        b.build()
    }

    /// A certificate for `cn` signed by `issuer` (self-signed when `None`), valid `days` from
    /// `start_days` relative to now.
    fn cert(cn: &str, sans: &[&str], issuer: Option<(&X509, &PKey<Private>)>, start_days: i64, days: u32) -> (X509, PKey<Private>) {
        let key = PKey::from_ec_key(openssl::ec::EcKey::generate(&openssl::ec::EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap()).unwrap();
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_subject_name(&name(cn)).unwrap();
        b.set_issuer_name(issuer.map(|(c, _)| c.subject_name()).unwrap_or(&name(cn))).unwrap();
        b.set_pubkey(&key).unwrap();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        b.set_not_before(&Asn1Time::from_unix(now + start_days * 86_400).unwrap()).unwrap();
        b.set_not_after(&Asn1Time::from_unix(now + (start_days + days as i64) * 86_400).unwrap()).unwrap();
        if !sans.is_empty() {
            let mut san = openssl::x509::extension::SubjectAlternativeName::new();
            for s in sans {
                san.dns(s);
            }
            let ext = san.build(&b.x509v3_context(issuer.map(|(c, _)| c.as_ref()), None)).unwrap();
            b.append_extension(ext).unwrap();
        }
        b.sign(issuer.map(|(_, k)| k).unwrap_or(&key), openssl::hash::MessageDigest::sha256()).unwrap();
        (b.build(), key)
    }

    fn pem(c: &X509) -> String {
        String::from_utf8(c.to_pem().unwrap()).unwrap()
    }

    fn key_pem(k: &PKey<Private>) -> String {
        String::from_utf8(k.private_key_to_pem_pkcs8().unwrap()).unwrap()
    }

    fn now() -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
    }

    #[test]
    fn an_upload_is_checked_link_by_link() {
        let (root, root_key) = cert("Test Root", &[], None, -1, 3650);
        let (inter, inter_key) = cert("Test Intermediate", &[], Some((&root, &root_key)), -1, 3650);
        let (leaf, leaf_key) = cert("shop.test", &["shop.test", "www.shop.test"], Some((&inter, &inter_key)), -1, 90);
        let chain = format!("{}{}", pem(&inter), pem(&root));

        let ok = inspect_upload(&pem(&leaf), &key_pem(&leaf_key), &chain, now()).unwrap();
        assert_eq!(ok.names, vec!["shop.test", "www.shop.test"]);
        assert_eq!(ok.issuer, "CN=Test Intermediate");
        assert_eq!(ok.key_type, "ECDSA P-256");
        assert!((ok.not_after - now() - 89 * 86_400).abs() < 120, "{}", ok.not_after - now());
        assert_eq!(ok.fullchain_pem.matches("BEGIN CERTIFICATE").count(), 3);

        // The chain pasted with the leaf in one box works the same.
        assert_eq!(inspect_upload(&format!("{}{chain}", pem(&leaf)), &key_pem(&leaf_key), "", now()).unwrap().names, ok.names);
        // Another key.
        assert_eq!(inspect_upload(&pem(&leaf), &key_pem(&inter_key), &chain, now()), Err(CertError::KeyMismatch));
        // Root before intermediate.
        let wrong = format!("{}{}", pem(&root), pem(&inter));
        assert!(matches!(inspect_upload(&pem(&leaf), &key_pem(&leaf_key), &wrong, now()), Err(CertError::ChainOrder { position: 1, .. })));
        // Not PEM, a broken key, an encrypted key.
        assert_eq!(inspect_upload("hello", &key_pem(&leaf_key), "", now()), Err(CertError::NotPem("certificate")));
        assert_eq!(inspect_upload(&pem(&leaf), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "", now()).map_err(|e| matches!(e, CertError::BadKey(_))), Err(true));
        assert!(matches!(inspect_upload(&pem(&leaf), "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", "", now()), Err(CertError::BadKey(m)) if m.contains("passphrase")));
        // Dates.
        let (old, old_key) = cert("old.test", &["old.test"], None, -100, 10);
        assert!(matches!(inspect_upload(&pem(&old), &key_pem(&old_key), "", now()), Err(CertError::Expired(_))));
        let (future, future_key) = cert("future.test", &["future.test"], None, 5, 10);
        assert!(matches!(inspect_upload(&pem(&future), &key_pem(&future_key), "", now()), Err(CertError::NotYetValid(_))));
    }

    #[test]
    fn a_csr_carries_the_names_and_the_key_is_stored_private() {
        let (key, csr) = new_key_and_csr(&["a.test".into(), "b.test".into()]).unwrap();
        let req = X509Req::from_der(&csr).unwrap();
        assert!(req.verify(&PKey::private_key_from_pem(key.as_bytes()).unwrap()).unwrap());
        let dir = tempfile::tempdir().unwrap();
        store(&dir.path().join("7"), "CHAIN", &key).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(dir.path().join("7/key.pem")).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(dir.path().join("7/fullchain.pem")).unwrap(), "CHAIN");
    }
}
