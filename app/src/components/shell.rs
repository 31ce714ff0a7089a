//! The frame around every page: sidebar on wide screens; a bottom bar plus a drawer on phones.

use super::icon::Icon;
use super::theme::ThemeToggle;
use crate::api::logout;
use crate::live::use_live_status;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_location;
use pier_proto::accounts::{Role, UserView};
use pier_proto::ApiError;

/// The signed-in user, fetched once per page load and shared by the shell and pages.
#[derive(Clone, Copy)]
pub struct CurrentUser(pub Resource<Result<Option<UserView>, ApiError>>);

pub fn provide_current_user() {
    provide_context(CurrentUser(Resource::new(|| (), |_| crate::api::whoami())));
}

pub fn use_current_user() -> CurrentUser {
    expect_context::<CurrentUser>()
}

/// Who may see a navigation entry. The server enforces; this only hides what would be refused.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Audience {
    Everyone,
    Staff,
    Admins,
    /// Admins and billing (plans).
    PlanManagers,
}

fn may_see(role: Role, audience: Audience) -> bool {
    match audience {
        Audience::Everyone => true,
        Audience::Staff => matches!(role, Role::Admin | Role::Support),
        Audience::Admins => role == Role::Admin,
        Audience::PlanManagers => matches!(role, Role::Admin | Role::Billing),
    }
}

/// Pages shown without the navigation chrome.
fn is_bare(path: &str) -> bool {
    matches!(path, "/login" | "/setup" | "/reset")
}

/// A navigation entry.
struct NavItem {
    href: &'static str,
    label: &'static str,
    icon: &'static str,
    /// Shown in the phone bottom bar (the rest live in the drawer).
    in_bottom_bar: bool,
    audience: Audience,
}

const NAV: &[(&str, &[NavItem])] = &[
    ("", &[NavItem { href: "/", label: "Overview", icon: "overview", in_bottom_bar: true, audience: Audience::Everyone }]),
    (
        "Resources",
        &[
            NavItem { href: "/vps", label: "VPS", icon: "vps", in_bottom_bar: true, audience: Audience::Everyone },
            NavItem { href: "/containers", label: "Containers", icon: "containers", in_bottom_bar: true, audience: Audience::Everyone },
            NavItem { href: "/sites", label: "Sites", icon: "sites", in_bottom_bar: false, audience: Audience::Staff },
            NavItem { href: "/certificates", label: "Certificates", icon: "certificates", in_bottom_bar: false, audience: Audience::Staff },
        ],
    ),
    (
        "Operations",
        &[
            NavItem { href: "/monitoring", label: "Monitoring", icon: "monitoring", in_bottom_bar: false, audience: Audience::Everyone },
            NavItem { href: "/alerts", label: "Alerts", icon: "monitoring", in_bottom_bar: false, audience: Audience::Everyone },
            NavItem { href: "/backups", label: "Backups", icon: "backups", in_bottom_bar: false, audience: Audience::Everyone },
            NavItem { href: "/jobs", label: "Jobs", icon: "jobs", in_bottom_bar: true, audience: Audience::Everyone },
        ],
    ),
    (
        "Administration",
        &[
            NavItem { href: "/hosts", label: "Hosts", icon: "hosts", in_bottom_bar: false, audience: Audience::Staff },
            NavItem { href: "/images", label: "Images", icon: "images", in_bottom_bar: false, audience: Audience::Staff },
            NavItem { href: "/plans", label: "Plans", icon: "plans", in_bottom_bar: false, audience: Audience::PlanManagers },
            NavItem { href: "/users", label: "Users", icon: "users", in_bottom_bar: false, audience: Audience::Admins },
            NavItem { href: "/audit", label: "Audit log", icon: "audit", in_bottom_bar: false, audience: Audience::Staff },
            NavItem { href: "/system", label: "System", icon: "system", in_bottom_bar: false, audience: Audience::Staff },
        ],
    ),
];

#[component]
fn NavLinks(role: Role, #[prop(optional)] on_navigate: Option<Callback<()>>) -> impl IntoView {
    NAV.iter()
        .filter(|(_, items)| items.iter().any(|i| may_see(role, i.audience)))
        .map(|(section, items)| {
            let links = items
                .iter()
                .filter(|item| may_see(role, item.audience))
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

/// The unread count of the person's notifications, live; a link to them. Read in the browser
/// only (a resource made inside the user menu's Transition renders its fallback on the server
/// but may resolve at once in the browser: a hydration mismatch).
#[component]
fn NotificationBell() -> impl IntoView {
    let unread = RwSignal::new(None::<u64>);
    let version = RwSignal::new(0u32);
    Effect::new(move |_| {
        version.track();
        spawn_local(async move {
            if let Ok(n) = crate::api::alerts::unread_notifications().await {
                let _ = unread.try_set(Some(n));
            }
        });
    });
    crate::live::use_live(pier_proto::live::Topic::new("notifications").expect("topic"), move |_| version.update(|v| *v += 1));
    view! {
        <A href="/notifications" attr:class="bell" attr:title="Notifications">
            <span aria-hidden="true">"🔔"</span>
            {move || unread.get().map(|n| view! {
                // Always a number (an empty text node would not survive hydration); 0 is hidden by CSS.
                <span class="bell-count" data-unread=n.to_string() aria-hidden="true">{n.to_string()}</span>
                <span class="sr-only">{format!("{n} unread notifications")}</span>
            })}
        </A>
    }
}

#[component]
fn UserMenu(user: UserView) -> impl IntoView {
    let sign_out = move |_| {
        spawn_local(async move {
            let _ = logout().await;
            #[cfg(feature = "hydrate")]
            let _ = window().location().set_href("/login");
        });
    };
    view! {
        <NotificationBell/>
        <A href="/profile" attr:class="user-chip" attr:title="Your profile and sessions" attr:data-role=user.role.as_str()>
            <span class="user-name">{user.username.clone()}</span>
            <span class="badge">{user.role.as_str()}</span>
        </A>
        <button type="button" class="button small" on:click=sign_out>"Log out"</button>
    }
}

#[component]
pub fn AppShell(children: Children) -> impl IntoView {
    let drawer = RwSignal::new(false);
    let live = use_live_status();
    let location = use_location();
    let bare = move || is_bare(&location.pathname.get());
    let user = use_current_user().0;
    let role = move || user.get().and_then(|r| r.ok()).flatten().map(|u| u.role);
    // The live socket is for signed-in people only (and not while held at 2FA enrolment).
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if user.get().and_then(|r| r.ok()).flatten().is_some_and(|u| !u.must_enrol_2fa()) {
            crate::live::start();
        }
    });
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
        <div class="app" class:bare=bare>
            <aside class="sidebar" aria-label="Main navigation">
                <a href="/" class="brand"><span class="brand-mark">"P"</span>"Pier"</a>
                <Transition fallback=|| ()>
                    {move || role().map(|role| view! { <nav><NavLinks role/></nav> })}
                </Transition>
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
                    <Transition fallback=|| ()>
                        {move || user.get().and_then(|r| r.ok()).flatten().map(|u| view! { <UserMenu user=u/> })}
                    </Transition>
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
                    <Transition fallback=|| ()>
                        {move || role().map(|role| view! { <nav><NavLinks role on_navigate=close_drawer/></nav> })}
                    </Transition>
                </div>
            </Show>
        </div>
    }
}
