//! Configuration text from the typed model. Every value written was validated by the model
//! (`pier_proto::sites`) and is checked again here (`word`, `quoted`): a value that could end a
//! directive, open a block or name a variable is refused rather than written.

use crate::error::WebError;
use pier_proto::sites::{quotable, BalanceMethod, LocationAction, PoolSpec, SiteSpec};
use std::fmt::Write;

/// Where the rendered site listens: `127.0.0.1` for a panel in front of loopback tests, empty
/// for every address (production).
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub listen_address: Option<String>,
    /// The folder ACME HTTP-01 challenge files are written to: every site's plain server then
    /// serves `/.well-known/acme-challenge/` from it, ahead of its own locations and of a
    /// redirect to HTTPS (the directory checks over plain HTTP).
    pub acme_root: Option<String>,
    /// Where each site's own access and error logs go (`site-<name>.access.log`).
    pub log_dir: Option<String>,
}

/// The access-log format of site logs (defined in the main file; parsed by the metrics reader):
/// time, status, bytes sent, request time, upstream time, request line.
pub const LOG_FORMAT: &str = "pier";

/// A value written bare (names, paths): only characters with no meaning to nginx's parser.
fn word(s: &str) -> Result<&str, WebError> {
    let ok = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "/-._~%+@!,:=*[]".contains(c));
    if ok {
        Ok(s)
    } else {
        Err(WebError::Unsafe(s.to_string()))
    }
}

/// A value written inside double quotes.
fn quoted(s: &str) -> Result<String, WebError> {
    if quotable(s) {
        Ok(format!("\"{s}\""))
    } else {
        Err(WebError::Unsafe(s.to_string()))
    }
}

/// The upstream name of pool `name`.
pub fn upstream_name(pool: &str) -> String {
    format!("pier_pool_{}", pool.replace('-', "_"))
}

pub fn render_pool(p: &PoolSpec) -> Result<String, WebError> {
    let mut out = format!("# Pool {} (written by Pier).\nupstream {} {{\n", word(&p.name)?, upstream_name(word(&p.name)?));
    match &p.method {
        BalanceMethod::RoundRobin => {}
        BalanceMethod::LeastConn => out.push_str("    least_conn;\n"),
        BalanceMethod::IpHash => out.push_str("    ip_hash;\n"),
        BalanceMethod::Hash { key } => writeln!(out, "    hash ${} consistent;", word(key)?).expect("string"),
    }
    for m in &p.members {
        let host = if m.host.contains(':') { format!("[{}]", word(&m.host)?) } else { word(&m.host)?.to_string() };
        write!(out, "    server {host}:{} weight={} max_fails={} fail_timeout={}s", m.port, m.weight, m.max_fails, m.fail_timeout_s).expect("string");
        if m.backup {
            out.push_str(" backup");
        }
        if m.down {
            out.push_str(" down");
        }
        out.push_str(";\n");
    }
    out.push_str("}\n");
    Ok(out)
}

fn listen(o: &RenderOptions, port: u16) -> Result<String, WebError> {
    Ok(match &o.listen_address {
        Some(a) if a.contains(':') => format!("[{}]:{port}", word(a)?),
        Some(a) => format!("{}:{port}", word(a)?),
        None => port.to_string(),
    })
}

fn locations(s: &SiteSpec, out: &mut String) -> Result<(), WebError> {
    if let Some(snippet) = &s.snippet {
        // Validated as balanced text by the model; nginx -t judges its directives.
        out.push_str("    # Snippet (advanced):\n");
        for line in snippet.lines() {
            writeln!(out, "    {line}").expect("string");
        }
    }
    for l in &s.locations {
        let (exact, path) = match l.path.strip_prefix("= ") {
            Some(p) => ("= ", p),
            None => ("", l.path.as_str()),
        };
        writeln!(out, "    location {exact}{} {{", word(path)?).expect("string");
        match &l.action {
            LocationAction::Proxy { pool } => {
                writeln!(out, "        proxy_pass http://{};", upstream_name(word(pool)?)).expect("string");
                out.push_str("        proxy_set_header Host $host;\n        proxy_set_header X-Real-IP $remote_addr;\n");
                out.push_str("        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n        proxy_set_header X-Forwarded-Proto $scheme;\n");
                if l.websocket {
                    out.push_str("        proxy_http_version 1.1;\n        proxy_set_header Upgrade $http_upgrade;\n        proxy_set_header Connection \"upgrade\";\n        proxy_read_timeout 1h;\n");
                }
            }
            LocationAction::Static { root } => writeln!(out, "        root {};", quoted(root)?).expect("string"),
            LocationAction::Redirect { to, code } => writeln!(out, "        return {code} {};", quoted(to)?).expect("string"),
            LocationAction::Status { code, body } => match body {
                Some(b) => writeln!(out, "        default_type text/plain;\n        return {code} {};", quoted(b)?).expect("string"),
                None => writeln!(out, "        return {code};").expect("string"),
            },
        }
        for (name, value) in &l.headers {
            writeln!(out, "        add_header {} {} always;", word(name)?, quoted(value)?).expect("string");
        }
        out.push_str("    }\n");
    }
    Ok(())
}

/// What both server blocks (HTTP and HTTPS) share: names, limits, access lists, locations.
fn common(s: &SiteSpec, out: &mut String) -> Result<(), WebError> {
    let names = s.server_names.iter().map(|n| word(n)).collect::<Result<Vec<_>, _>>()?;
    writeln!(out, "    server_name {};", names.join(" ")).expect("string");
    if let Some(m) = s.max_body_mib {
        writeln!(out, "    client_max_body_size {m}m;").expect("string");
    }
    for a in &s.allow {
        writeln!(out, "    allow {};", word(a)?).expect("string");
    }
    for d in &s.deny {
        writeln!(out, "    deny {};", word(d)?).expect("string");
    }
    if !s.allow.is_empty() {
        out.push_str("    deny all;\n");
    }
    Ok(())
}

fn logs(s: &SiteSpec, o: &RenderOptions, out: &mut String) -> Result<(), WebError> {
    if let Some(dir) = &o.log_dir {
        let dir = word(dir)?;
        let name = word(&s.name)?;
        writeln!(out, "    access_log {dir}/site-{name}.access.log {LOG_FORMAT};\n    error_log {dir}/site-{name}.error.log;").expect("string");
    }
    Ok(())
}

fn acme_location(o: &RenderOptions, out: &mut String) -> Result<(), WebError> {
    if let Some(root) = &o.acme_root {
        writeln!(out, "    location ^~ /.well-known/acme-challenge/ {{\n        root {};\n        default_type text/plain;\n    }}", word(root)?).expect("string");
    }
    Ok(())
}

/// The server blocks of one site (nothing for a disabled site).
pub fn render_site(s: &SiteSpec, o: &RenderOptions) -> Result<String, WebError> {
    let mut out = format!("# Site {} (written by Pier; edit it in the panel).\n", word(&s.name)?);
    if !s.enabled {
        out.push_str("# Disabled.\n");
        return Ok(out);
    }
    writeln!(out, "server {{\n    listen {};", listen(o, s.http_port)?).expect("string");
    common(s, &mut out)?;
    logs(s, o, &mut out)?;
    acme_location(o, &mut out)?;
    // HTTPS is forced only once there is a certificate to serve it with.
    match (s.force_https && s.tls.is_some(), s.https_port) {
        (true, Some(port)) => {
            let port = if port == 443 { String::new() } else { format!(":{port}") };
            writeln!(out, "    location / {{\n        return 301 https://$host{port}$request_uri;\n    }}").expect("string");
        }
        _ => locations(s, &mut out)?,
    }
    out.push_str("}\n");
    if let (Some(port), Some(tls)) = (s.https_port, &s.tls) {
        // `listen … ssl http2` is the form nginx 1.22 (Debian 12) knows.
        writeln!(out, "server {{\n    listen {} ssl{};", listen(o, port)?, if s.http2 { " http2" } else { "" }).expect("string");
        writeln!(out, "    ssl_certificate {};\n    ssl_certificate_key {};", quoted(&tls.certificate)?, quoted(&tls.key)?).expect("string");
        if s.hsts {
            out.push_str("    add_header Strict-Transport-Security \"max-age=31536000\" always;\n");
        }
        common(s, &mut out)?;
        logs(s, o, &mut out)?;
        locations(s, &mut out)?;
        out.push_str("}\n");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pier_proto::sites::{Location, PoolMember};

    pub(crate) fn site(name: &str) -> SiteSpec {
        SiteSpec {
            name: name.into(),
            server_names: vec!["example.test".into(), "*.example.test".into()],
            http_port: 8080,
            https_port: None,
            tls_mode: Default::default(),
            tls: None,
            force_https: false,
            hsts: false,
            http2: false,
            max_body_mib: Some(16),
            locations: vec![
                Location { path: "/".into(), action: LocationAction::Proxy { pool: "web".into() }, websocket: true, headers: vec![("X-Frame-Options".into(), "DENY".into())] },
                Location { path: "= /gone".into(), action: LocationAction::Status { code: 410, body: Some("gone for good".into()) }, websocket: false, headers: vec![] },
            ],
            allow: vec!["127.0.0.0/8".into()],
            deny: vec![],
            enabled: true,
            snippet: None,
        }
    }

    #[test]
    fn a_site_and_a_pool_render_as_nginx_expects() {
        let text = render_site(&site("shop"), &RenderOptions { listen_address: Some("127.0.0.1".into()), ..Default::default() }).unwrap();
        for want in [
            "listen 127.0.0.1:8080;",
            "server_name example.test *.example.test;",
            "client_max_body_size 16m;",
            "allow 127.0.0.0/8;\n    deny all;",
            "location / {\n        proxy_pass http://pier_pool_web;",
            "proxy_set_header Upgrade $http_upgrade;",
            "add_header X-Frame-Options \"DENY\" always;",
            "location = /gone {\n        default_type text/plain;\n        return 410 \"gone for good\";",
        ] {
            assert!(text.contains(want), "{want:?} in\n{text}");
        }
        let pool = PoolSpec {
            name: "web".into(),
            method: BalanceMethod::LeastConn,
            members: vec![
                PoolMember { host: "127.0.0.1".into(), port: 9001, weight: 3, backup: false, max_fails: 2, fail_timeout_s: 5, down: false },
                PoolMember { host: "::1".into(), port: 9002, weight: 1, backup: true, max_fails: 1, fail_timeout_s: 10, down: true },
            ],
        };
        let text = render_pool(&pool).unwrap();
        assert!(text.contains("upstream pier_pool_web {\n    least_conn;\n    server 127.0.0.1:9001 weight=3 max_fails=2 fail_timeout=5s;\n    server [::1]:9002 weight=1 max_fails=1 fail_timeout=10s backup down;\n}"), "{text}");
    }

    #[test]
    fn tls_sites_force_https_and_listen_with_their_certificate() {
        let mut s = site("shop");
        s.https_port = Some(8443);
        s.tls_mode = pier_proto::sites::TlsMode::Acme;
        s.tls = Some(pier_proto::sites::TlsFiles { certificate: "/etc/pier/certs/3/fullchain.pem".into(), key: "/etc/pier/certs/3/key.pem".into() });
        s.force_https = true;
        s.hsts = true;
        s.http2 = true;
        s.validate().unwrap();
        let text = render_site(&s, &RenderOptions::default()).unwrap();
        assert!(text.contains("listen 8080;") && text.contains("return 301 https://$host:8443$request_uri;"), "{text}");
        assert!(text.contains("listen 8443 ssl http2;\n    ssl_certificate \"/etc/pier/certs/3/fullchain.pem\";"), "{text}");
        assert!(text.contains("Strict-Transport-Security"));
        // The plain server only redirects: its locations are on the TLS server.
        assert_eq!(text.matches("proxy_pass").count(), 1);
    }

    /// A small deterministic generator (no dependency): xorshift.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    /// The property: whatever a person types into any field, either validation refuses it or the
    /// rendered text has exactly the shape of the same site with a harmless value — the same
    /// number of lines, braces and `;` — so no value started a directive or a block of its own.
    #[test]
    fn no_field_value_can_break_out_of_its_directive() {
        const ALPHABET: &[char] = &['a', 'Z', '0', '/', '.', '-', ' ', ';', '{', '}', '"', '\'', '\\', '$', '\n', '\r', '\t', '#', '=', ':', '*', '%', 'é', '\0'];
        let shape = |t: &str| (t.lines().count(), t.matches('{').count(), t.matches('}').count(), t.matches(';').count());
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let base = render_site(&site("shop"), &RenderOptions::default()).unwrap();
        let mut accepted = 0;
        for i in 0..20_000 {
            let len = 1 + (rng.next() % 12) as usize;
            let value: String = (0..len).map(|_| ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize]).collect();
            let mut s = site("shop");
            match i % 6 {
                0 => s.server_names[0] = value.clone(),
                1 => s.locations[0].path = value.clone(),
                2 => s.locations[0].headers[0].1 = value.clone(),
                3 => s.locations[1].action = LocationAction::Status { code: 410, body: Some(value.clone()) },
                4 => s.allow[0] = value.clone(),
                _ => s.locations[0].headers[0].0 = value.clone(),
            }
            if s.validate().is_err() {
                continue;
            }
            accepted += 1;
            let text = render_site(&s, &RenderOptions::default()).expect("validated values render");
            // A value with ';' inside quotes would change the count: quotable() refuses ';'.
            assert_eq!(shape(&text), shape(&base), "value {value:?} changed the shape:\n{text}");
        }
        assert!(accepted > 500, "the generator also produced acceptable values ({accepted})");
    }
}
