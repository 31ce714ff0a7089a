//! Inline SVG icons (stroke style, 24×24). The markup is static text from this file only.

use leptos::prelude::*;

fn markup(name: &str) -> &'static str {
    match name {
        "overview" => r#"<rect x="3" y="3" width="7" height="9" rx="1"/><rect x="14" y="3" width="7" height="5" rx="1"/><rect x="14" y="12" width="7" height="9" rx="1"/><rect x="3" y="16" width="7" height="5" rx="1"/>"#,
        "vps" => r#"<rect x="3" y="4" width="18" height="7" rx="1.5"/><rect x="3" y="13" width="18" height="7" rx="1.5"/><path d="M7 7.5h.01M7 16.5h.01"/>"#,
        "containers" => r#"<path d="M21 8 12 3 3 8v8l9 5 9-5z"/><path d="M3 8l9 5 9-5M12 13v8"/>"#,
        "sites" => r#"<circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3a14 14 0 0 1 0 18M12 3a14 14 0 0 0 0 18"/>"#,
        "certificates" => r#"<rect x="5" y="11" width="14" height="10" rx="2"/><path d="M8 11V7a4 4 0 0 1 8 0v4"/>"#,
        "monitoring" => r#"<path d="M3 12h4l3-8 4 16 3-8h4"/>"#,
        "backups" => r#"<rect x="3" y="4" width="18" height="5" rx="1"/><path d="M5 9v10a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V9M10 13h4"/>"#,
        "jobs" => r#"<path d="M9 6h11M9 12h11M9 18h11"/><path d="M4 6l1 1 2-2M4 12l1 1 2-2M4 18l1 1 2-2"/>"#,
        "hosts" => r#"<rect x="2" y="4" width="20" height="12" rx="1.5"/><path d="M8 20h8M12 16v4"/>"#,
        "images" => r#"<ellipse cx="12" cy="6" rx="8" ry="3"/><path d="M4 6v12c0 1.7 3.6 3 8 3s8-1.3 8-3V6M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3"/>"#,
        "plans" => r#"<path d="M4 6h16M4 12h16M4 18h10"/><circle cx="19" cy="18" r="2"/>"#,
        "users" => r#"<circle cx="9" cy="8" r="3.5"/><path d="M2.5 20a6.5 6.5 0 0 1 13 0M16 4.5a3.5 3.5 0 0 1 0 7M18 14a6 6 0 0 1 3.5 6"/>"#,
        "audit" => r#"<path d="M14 3H6a1 1 0 0 0-1 1v16a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8z"/><path d="M14 3v5h5M8 13h8M8 17h5"/>"#,
        "system" => r#"<path d="M20.8 5.6a5 5 0 0 0-7.1 0L12 7.3l-1.7-1.7a5 5 0 0 0-7.1 7.1L12 21.5l8.8-8.8a5 5 0 0 0 0-7.1z"/>"#,
        "menu" => r#"<path d="M4 6h16M4 12h16M4 18h16"/>"#,
        "close" => r#"<path d="M6 6l12 12M18 6L6 18"/>"#,
        "moon" => r#"<path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z"/>"#,
        "sun" => r#"<circle cx="12" cy="12" r="4"/><path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4"/>"#,
        "play" => r#"<path d="M7 4l13 8-13 8z"/>"#,
        "stop" => r#"<rect x="6" y="6" width="12" height="12" rx="1"/>"#,
        "refresh" => r#"<path d="M20 11a8 8 0 1 0-2.3 5.7M20 4v7h-7"/>"#,
        _ => r#"<circle cx="12" cy="12" r="9"/>"#,
    }
}

#[component]
pub fn Icon(#[prop(into)] name: String) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8"
             stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" inner_html=markup(&name)>
        </svg>
    }
}
