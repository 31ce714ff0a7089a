//! The frame around every page: sidebar on wide screens; a bottom bar plus a drawer on phones.

use super::icon::Icon;
use super::theme::ThemeToggle;
use crate::live::use_live_status;
use leptos::prelude::*;
use leptos_router::components::A;

/// A navigation entry.
struct NavItem {
    href: &'static str,
    label: &'static str,
    icon: &'static str,
    /// Shown in the phone bottom bar (the rest live in the drawer).
    in_bottom_bar: bool,
}

const NAV: &[(&str, &[NavItem])] = &[
    ("", &[NavItem { href: "/", label: "Overview", icon: "overview", in_bottom_bar: true }]),
    (
        "Resources",
        &[
            NavItem { href: "/vps", label: "VPS", icon: "vps", in_bottom_bar: true },
            NavItem { href: "/containers", label: "Containers", icon: "containers", in_bottom_bar: true },
            NavItem { href: "/sites", label: "Sites", icon: "sites", in_bottom_bar: false },
            NavItem { href: "/certificates", label: "Certificates", icon: "certificates", in_bottom_bar: false },
        ],
    ),
    (
        "Operations",
        &[
            NavItem { href: "/monitoring", label: "Monitoring", icon: "monitoring", in_bottom_bar: false },
            NavItem { href: "/backups", label: "Backups", icon: "backups", in_bottom_bar: false },
            NavItem { href: "/jobs", label: "Jobs", icon: "jobs", in_bottom_bar: true },
        ],
    ),
    (
        "Administration",
        &[
            NavItem { href: "/users", label: "Users", icon: "users", in_bottom_bar: false },
            NavItem { href: "/audit", label: "Audit log", icon: "audit", in_bottom_bar: false },
            NavItem { href: "/system", label: "System", icon: "system", in_bottom_bar: false },
        ],
    ),
];

#[component]
fn NavLinks(#[prop(optional)] on_navigate: Option<Callback<()>>) -> impl IntoView {
    NAV.iter()
        .map(|(section, items)| {
            let links = items
                .iter()
                .map(|item| {
                    let href = item.href;
                    view! {
                        <li>
                            <A href=href exact=href == "/" attr:class="nav-link"
                               on:click=move |_| if let Some(cb) = on_navigate { cb.run(()) }>
                                <Icon name=item.icon/>
                                <span>{item.label}</span>
                            </A>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <div class="nav-section">
                    {(!section.is_empty()).then(|| view! { <h3 class="nav-heading">{*section}</h3> })}
                    <ul>{links}</ul>
                </div>
            }
        })
        .collect_view()
}

#[component]
pub fn AppShell(children: Children) -> impl IntoView {
    let drawer = RwSignal::new(false);
    let live = use_live_status();
    let close_drawer = Callback::new(move |_| drawer.set(false));
    let bottom = NAV
        .iter()
        .flat_map(|(_, items)| items.iter())
        .filter(|i| i.in_bottom_bar)
        .map(|item| {
            let href = item.href;
            view! {
                <A href=href exact=href == "/" attr:class="bottom-link">
                    <Icon name=item.icon/>
                    <span>{item.label}</span>
                </A>
            }
        })
        .collect_view();

    view! {
        <div class="app">
            <aside class="sidebar" aria-label="Main navigation">
                <a href="/" class="brand"><span class="brand-mark">"P"</span>"Pier"</a>
                <nav><NavLinks/></nav>
            </aside>
            <div class="main-column">
                <header class="topbar">
                    <a href="/" class="brand brand-compact"><span class="brand-mark">"P"</span>"Pier"</a>
                    <div class="topbar-spacer"></div>
                    <span class=move || format!("live-dot live-{}", live.get().as_str())
                          data-live=move || live.get().as_str()
                          title=move || format!("Live updates: {}", live.get().as_str())>
                        <span class="sr-only">{move || format!("Live updates {}", live.get().as_str())}</span>
                    </span>
                    <ThemeToggle/>
                </header>
                <main class="content" id="content">{children()}</main>
            </div>
            <nav class="bottombar" aria-label="Main navigation (compact)">
                {bottom}
                <button type="button" class="bottom-link" aria-expanded=move || drawer.get().to_string()
                        aria-controls="drawer" on:click=move |_| drawer.set(true)>
                    <Icon name="menu"/>
                    <span>"More"</span>
                </button>
            </nav>
            <Show when=move || drawer.get()>
                <div class="drawer-backdrop" on:click=move |_| drawer.set(false)></div>
                <div class="drawer" id="drawer" role="dialog" aria-modal="true" aria-label="All sections"
                     on:keydown=move |ev| if ev.key() == "Escape" { drawer.set(false) }>
                    <div class="drawer-head">
                        <span class="brand"><span class="brand-mark">"P"</span>"Pier"</span>
                        <button type="button" class="icon-button" aria-label="Close menu"
                                on:click=move |_| drawer.set(false)><Icon name="close"/></button>
                    </div>
                    <nav><NavLinks on_navigate=close_drawer/></nav>
                </div>
            </Show>
        </div>
    }
}
