//! The NoCloud seed a VPS boots with: meta-data, user-data and network-config built as YAML
//! values (never pasted text) and packed into an ISO9660 image labelled `cidata` with
//! genisoimage (arguments passed directly, no shell).

use pier_proto::ApiError;
use serde_yaml::{Mapping, Value};
use std::net::Ipv4Addr;
use std::path::Path;

fn key(k: &str) -> Value {
    Value::String(k.to_string())
}

/// The user-data: the person's `#cloud-config` (if any) with Pier's settings laid over it —
/// host name, the chosen SSH keys (added to any the person listed) and, when one was chosen,
/// root's password as a SHA-512 crypt hash (the password itself never reaches the seed).
pub fn user_data(hostname: &str, ssh_keys: &[String], supplied: Option<&str>, root_password_hash: Option<&str>) -> Result<String, ApiError> {
    let mut doc = match supplied.map(str::trim).filter(|s| !s.is_empty()) {
        None => Mapping::new(),
        Some(text) => {
            if !text.starts_with("#cloud-config") {
                return Err(ApiError::invalid("user_data", "User-data must be cloud-config YAML starting with the line #cloud-config."));
            }
            match serde_yaml::from_str::<Value>(text) {
                Ok(Value::Mapping(m)) => m,
                Ok(Value::Null) => Mapping::new(),
                Ok(_) => return Err(ApiError::invalid("user_data", "User-data must be a YAML mapping (key: value lines).")),
                Err(e) => return Err(ApiError::invalid("user_data", format!("User-data is not valid YAML: {e}"))),
            }
        }
    };
    let short = hostname.split('.').next().unwrap_or(hostname);
    doc.insert(key("hostname"), Value::String(short.to_string()));
    if hostname.contains('.') {
        doc.insert(key("fqdn"), Value::String(hostname.to_string()));
    }
    doc.insert(key("manage_etc_hosts"), Value::Bool(true));
    let mut keys: Vec<Value> = match doc.get(key("ssh_authorized_keys")) {
        Some(Value::Sequence(existing)) => existing.clone(),
        Some(_) => return Err(ApiError::invalid("user_data", "ssh_authorized_keys must be a list.")),
        None => Vec::new(),
    };
    for k in ssh_keys {
        let v = Value::String(k.clone());
        if !keys.contains(&v) {
            keys.push(v);
        }
    }
    if !keys.is_empty() {
        doc.insert(key("ssh_authorized_keys"), Value::Sequence(keys));
    }
    if let Some(hash) = root_password_hash {
        let mut root = Mapping::new();
        root.insert(key("name"), Value::String("root".into()));
        root.insert(key("password"), Value::String(hash.to_string()));
        root.insert(key("type"), Value::String("hash".into()));
        let mut chpasswd = Mapping::new();
        chpasswd.insert(key("expire"), Value::Bool(false));
        chpasswd.insert(key("users"), Value::Sequence(vec![Value::Mapping(root)]));
        doc.insert(key("chpasswd"), Value::Mapping(chpasswd));
    }
    let body = serde_yaml::to_string(&Value::Mapping(doc)).map_err(|e| ApiError::invalid("user_data", e.to_string()))?;
    Ok(format!("#cloud-config\n{body}"))
}

/// Checks a root password and returns its SHA-512 crypt hash (`$6$…`, what /etc/shadow holds).
pub fn hash_root_password(password: &str) -> Result<String, super::ComputeError> {
    pier_proto::vps::validate_root_password(password).map_err(super::ComputeError::Invalid)?;
    let params = sha_crypt::Sha512Params::new(sha_crypt::ROUNDS_DEFAULT).expect("default rounds are valid");
    sha_crypt::sha512_simple(password, &params).map_err(|_| super::ComputeError::Unavailable("hashing the password failed".into()))
}

pub fn meta_data(instance_id: &str, hostname: &str) -> String {
    let mut m = Mapping::new();
    m.insert(key("instance-id"), Value::String(instance_id.to_string()));
    m.insert(key("local-hostname"), Value::String(hostname.split('.').next().unwrap_or(hostname).to_string()));
    serde_yaml::to_string(&Value::Mapping(m)).expect("a mapping of strings serialises")
}

/// A static address (public network) or DHCP (private), for the NIC with `mac`.
pub fn network_config(mac: &str, address: Option<(Ipv4Addr, u8, Ipv4Addr)>) -> String {
    let mut nic = Mapping::new();
    let mut matcher = Mapping::new();
    matcher.insert(key("macaddress"), Value::String(mac.to_string()));
    nic.insert(key("match"), Value::Mapping(matcher));
    nic.insert(key("set-name"), Value::String("eth0".into()));
    match address {
        None => {
            nic.insert(key("dhcp4"), Value::Bool(true));
        }
        Some((ip, prefix, gateway)) => {
            nic.insert(key("addresses"), Value::Sequence(vec![Value::String(format!("{ip}/{prefix}"))]));
            let mut route = Mapping::new();
            route.insert(key("to"), Value::String("default".into()));
            route.insert(key("via"), Value::String(gateway.to_string()));
            nic.insert(key("routes"), Value::Sequence(vec![Value::Mapping(route)]));
            let mut ns = Mapping::new();
            ns.insert(key("addresses"), Value::Sequence(vec![Value::String("1.1.1.1".into()), Value::String("9.9.9.9".into())]));
            nic.insert(key("nameservers"), Value::Mapping(ns));
        }
    }
    let mut ethernets = Mapping::new();
    ethernets.insert(key("eth0"), Value::Mapping(nic));
    let mut root = Mapping::new();
    root.insert(key("version"), Value::Number(2.into()));
    root.insert(key("ethernets"), Value::Mapping(ethernets));
    serde_yaml::to_string(&Value::Mapping(root)).expect("a mapping serialises")
}

/// Writes the three files and packs them into `iso` (replacing any previous one).
pub async fn write_seed(iso: &Path, user_data: &str, meta_data: &str, network_config: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| format!("cannot make a temporary directory: {e}"))?;
    for (name, text) in [("user-data", user_data), ("meta-data", meta_data), ("network-config", network_config)] {
        tokio::fs::write(dir.path().join(name), text).await.map_err(|e| format!("cannot write {name}: {e}"))?;
    }
    let _ = tokio::fs::remove_file(iso).await;
    let out = tokio::process::Command::new("genisoimage")
        .arg("-quiet")
        .arg("-output")
        .arg(iso)
        .args(["-volid", "cidata", "-joliet", "-rock"])
        .arg(dir.path().join("user-data"))
        .arg(dir.path().join("meta-data"))
        .arg(dir.path().join("network-config"))
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| format!("genisoimage could not run ({e}); install genisoimage"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("genisoimage failed: {}", String::from_utf8_lossy(&out.stderr).trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_merges_keys_and_hostname_into_the_persons_config() {
        let keys = vec!["ssh-ed25519 AAAA one".to_string()];
        let text = user_data("web-1.example.com", &keys, Some("#cloud-config\npackages: [nginx]\nssh_authorized_keys:\n  - ssh-rsa BBBB two\n"), None).unwrap();
        assert!(text.starts_with("#cloud-config\n"));
        let v: Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(v["hostname"], Value::String("web-1".into()));
        assert_eq!(v["fqdn"], Value::String("web-1.example.com".into()));
        assert_eq!(v["packages"][0], Value::String("nginx".into()));
        assert_eq!(v["ssh_authorized_keys"].as_sequence().unwrap().len(), 2);
    }

    #[test]
    fn malformed_user_data_is_refused_with_the_reason() {
        let why = |s: &str| user_data("h", &[], Some(s), None).unwrap_err().message;
        assert!(why("packages: [nginx]").contains("#cloud-config"));
        assert!(why("#cloud-config\npackages: [nginx").contains("not valid YAML"));
        assert!(why("#cloud-config\n- a\n- b").contains("mapping"));
        // Values that look like YAML syntax stay values: no injection through the host name.
        let v: Value = serde_yaml::from_str(&user_data("a", &["x\nruncmd: [reboot]".into()], None, None).unwrap()).unwrap();
        assert!(v.get("runcmd").is_none());
    }

    #[test]
    fn network_config_is_static_or_dhcp() {
        let s = network_config("52:54:00:00:00:01", Some(("203.0.113.10".parse().unwrap(), 24, "203.0.113.1".parse().unwrap())));
        let v: Value = serde_yaml::from_str(&s).unwrap();
        assert_eq!(v["ethernets"]["eth0"]["addresses"][0], Value::String("203.0.113.10/24".into()));
        assert_eq!(v["ethernets"]["eth0"]["routes"][0]["via"], Value::String("203.0.113.1".into()));
        let d: Value = serde_yaml::from_str(&network_config("52:54:00:00:00:01", None)).unwrap();
        assert_eq!(d["ethernets"]["eth0"]["dhcp4"], Value::Bool(true));
    }

    #[test]
    fn root_password_reaches_the_seed_only_as_a_hash() {
        let hash = super::hash_root_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$6$"), "{hash}");
        assert!(sha_crypt::sha512_check("correct horse battery", &hash).is_ok());
        let text = user_data("h", &[], None, Some(&hash)).unwrap();
        assert!(!text.contains("correct horse"));
        let v: Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(v["chpasswd"]["users"][0]["password"], Value::String(hash));
        assert_eq!(v["chpasswd"]["users"][0]["type"], Value::String("hash".into()));
        assert!(super::hash_root_password("short").is_err());
    }
}
