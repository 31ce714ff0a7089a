//! Pier's web UI: the shell, pages and components (rendered on the server, hydrated in the
//! browser), and the server functions they call (bodies behind `ssr`).

#![recursion_limit = "256"]

pub mod access;
pub mod api;
pub mod components;
pub mod format;
pub mod live;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod state;

use components::shell::AppShell;
use components::toast::ToastHost;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

/// Applies the saved theme before first paint, so a dark-theme user never sees a white flash.
const THEME_BOOT: &str = "try{var t=localStorage.getItem('pier-theme');if(t==='dark'||t==='light')document.documentElement.dataset.theme=t}catch(e){}";

/// Uses the nonce the server's security layer made for this response (it names it in the
/// Content-Security-Policy header), so the inline scripts below are the only ones that run.
#[cfg(feature = "ssr")]
fn provide_csp_nonce() {
    let nonce = use_context::<axum::http::request::Parts>().and_then(|p| p.extensions.get::<state::CspNonce>().cloned());
    if let Some(n) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(n.0));
    }
}

/// The HTML document around the app (server side).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    provide_csp_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <script nonce=leptos::nonce::use_nonce()>{THEME_BOOT}</script>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    components::toast::provide_toasts();
    live::provide_live();
    components::shell::provide_current_user();

    view! {
        <Stylesheet id="pier" href="/pkg/pier.css"/>
        <Title formatter=|page: String| if page.is_empty() { "Pier".to_string() } else { format!("{page} · Pier") }/>
        <Router>
            <AppShell>
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=path!("/login") view=pages::login::LoginPage/>
                    <Route path=path!("/setup") view=pages::login::SetupPage/>
                    <Route path=path!("/reset") view=pages::login::ResetPage/>
                    <Route path=path!("/") view=pages::overview::Overview/>
                    <Route path=path!("/jobs") view=pages::jobs::JobsPage/>
                    <Route path=path!("/hosts") view=pages::hosts::HostsPage/>
                    <Route path=path!("/plans") view=pages::plans::PlansPage/>
                    <Route path=path!("/images") view=pages::images::ImagesPage/>
                    <Route path=path!("/system") view=pages::system::SystemPage/>
                    <Route path=path!("/vps") view=pages::vps::VpsPage/>
                    <Route path=path!("/vps/:id") view=pages::vps::detail::VpsDetailPage/>
                    <Route path=path!("/containers") view=pages::containers::ContainersPage/>
                    <Route path=path!("/containers/:id") view=pages::containers::detail::ContainerDetailPage/>
                    <Route path=path!("/sites") view=pages::sites::SitesPage/>
                    <Route path=path!("/sites/:id") view=pages::sites::detail::SiteDetailPage/>
                    <Route path=path!("/certificates") view=pages::certificates::CertificatesPage/>
                    <Route path=path!("/monitoring") view=pages::monitoring::MonitoringPage/>
                    <Route path=path!("/alerts") view=pages::alerts::AlertsPage/>
                    <Route path=path!("/notifications") view=pages::notifications::NotificationsPage/>
                    <Route path=path!("/backups") view=|| view! { <pages::upcoming::Upcoming area="backups"/> }/>
                    <Route path=path!("/users") view=pages::users::UsersPage/>
                    <Route path=path!("/profile") view=pages::profile::ProfilePage/>
                    <Route path=path!("/audit") view=pages::audit::AuditPage/>
                </Routes>
            </AppShell>
            <ToastHost/>
        </Router>
    }
}
