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
    /// The folder holding access lists' password files (`<name>.htpasswd`): the live
    /// version's `auth/`, reached through the `live` link, so the files nginx reads on each
    /// request always belong to the version that serves.
    pub auth_dir: Option<String>,
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
fn common(s: &SiteSpec, o: &RenderOptions, out: &mut String) -> Result<(), WebError> {
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
    if let Some(list) = &s.access_list {
        let dir = o.auth_dir.as_deref().ok_or_else(|| WebError::Unsafe(format!("access list {list} without a password folder")))?;
        let list = word(list)?;
        // The prompt shows the list's name (a slug: nothing to escape).
        writeln!(out, "    auth_basic \"{list}\";\n    auth_basic_user_file {}/{list}.htpasswd;", word(dir)?).expect("string");
        if s.satisfy_any {
            out.push_str("    satisfy any;\n");
        }
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
        // Open to the CA whatever the site's address and password rules say.
        writeln!(out, "    location ^~ /.well-known/acme-challenge/ {{\n        root {};\n        default_type text/plain;\n        allow all;\n        auth_basic off;\n    }}", word(root)?).expect("string");
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
    common(s, o, &mut out)?;
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
        common(s, o, &mut out)?;
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
            access_list: None,
            satisfy_any: false,
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
    fn protected_sites_ask_for_a_password_but_not_on_the_challenge_path() {
        let mut s = site("shop");
        s.access_list = Some("team".into());
        s.satisfy_any = true;
        let o = RenderOptions { auth_dir: Some("/srv/nginx/live/auth".into()), acme_root: Some("/srv/acme".into()), ..Default::default() };
        let text = render_site(&s, &o).unwrap();
        assert!(text.contains("    auth_basic \"team\";\n    auth_basic_user_file /srv/nginx/live/auth/team.htpasswd;\n    satisfy any;\n"), "{text}");
        assert!(text.contains("location ^~ /.well-known/acme-challenge/ {\n        root /srv/acme;\n        default_type text/plain;\n        allow all;\n        auth_basic off;\n    }"), "{text}");
        // Without a folder for password files nothing is written rather than an open site.
        assert!(render_site(&s, &RenderOptions::default()).is_err());
        // A list name that is not a plain word is refused by the renderer too.
        s.access_list = Some("team;\n".into());
        assert!(render_site(&s, &o).is_err());
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
        // Harmless characters weigh more, so that every field also gets values it accepts.
        const ALPHABET: &[char] = &['a', 'a', 'a', 'a', 'b', 'Z', '0', '0', '1', '/', '.', '.', '-', ' ', ';', '{', '}', '"', '\'', '\\', '$', '\n', '\r', '\t', '#', '=', ':', ':', '*', '%', 'é', '\0'];
        const SITE_FIELDS: u64 = 9;
        let shape = |t: &str| (t.lines().count(), t.matches('{').count(), t.matches('}').count(), t.matches(';').count());
        // Field `field` of a site (or a pool) set to `v`; each is compared with the same field
        // set to a harmless value, so only the value itself can change the text's shape.
        let with_site = |field: u64, v: &str| {
            let mut s = site("shop");
            match field {
                0 => s.server_names[0] = v.to_string(),
                1 => s.locations[0].path = format!("/{v}"),
                2 => s.locations[0].headers[0].1 = v.to_string(),
                3 => s.locations[1].action = LocationAction::Status { code: 410, body: Some(v.to_string()) },
                // After "::" many short values are IPv6 addresses (the rest are refused).
                4 => s.allow[0] = format!("::{v}"),
                5 => s.locations[0].headers[0].0 = v.to_string(),
                6 => s.locations[1].action = LocationAction::Redirect { to: format!("/{v}"), code: 301 },
                7 => s.locations[1].action = LocationAction::Static { root: format!("/{v}") },
                _ => s.access_list = Some(v.to_string()),
            }
            s
        };
        let with_pool = |field: u64, v: &str| {
            let mut p = PoolSpec { name: "web".into(), method: BalanceMethod::RoundRobin, members: vec![PoolMember { host: "a".into(), port: 80, weight: 1, backup: false, max_fails: 1, fail_timeout_s: 10, down: false }] };
            match field {
                0 => p.members[0].host = v.to_string(),
                _ => p.method = BalanceMethod::Hash { key: v.to_string() },
            }
            p
        };
        let o = RenderOptions { auth_dir: Some("/srv/auth".into()), acme_root: Some("/srv/acme".into()), ..Default::default() };
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut accepted = [0u32; SITE_FIELDS as usize + 2];
        for i in 0..33_000u64 {
            let len = 1 + (rng.next() % 12) as usize;
            let value: String = (0..len).map(|_| ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize]).collect();
            let field = i % (SITE_FIELDS + 2);
            let (text, base) = if field < SITE_FIELDS {
                let s = with_site(field, &value);
                if s.validate().is_err() {
                    continue;
                }
                (render_site(&s, &o).expect("validated values render"), render_site(&with_site(field, "a"), &o).unwrap())
            } else {
                let p = with_pool(field - SITE_FIELDS, &value);
                if p.validate().is_err() {
                    continue;
                }
                (render_pool(&p).expect("validated values render"), render_pool(&with_pool(field - SITE_FIELDS, "a")).unwrap())
            };
            accepted[field as usize] += 1;
            // A value with ';' inside quotes would change the count: quotable() refuses ';'.
            assert_eq!(shape(&text), shape(&base), "value {value:?} of field {field} changed the shape:\n{text}");
        }
        // The generator also produced acceptable values for every field.
        assert!(accepted.iter().all(|n| *n > 20), "accepted per field: {accepted:?}");
    }

}
