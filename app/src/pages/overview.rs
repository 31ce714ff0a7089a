//! Overview: the platform at a glance. Grows with each capability (VPS and container counts,
//! alerts, certificates expiring); today: component health and the latest jobs.

use super::jobs::{JobFeed, JobList};
use super::system::status_badge;
use crate::api::health_report;
use crate::components::error_box::ErrorBox;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn Overview() -> impl IntoView {
    let report = Resource::new(|| (), |_| health_report(false));
    let feed = JobFeed::new(5);
    view! {
        <Title text="Overview"/>
        <div class="page-head">
            <h1>"Overview"</h1>
        </div>
        <section class="card">
            <div class="card-head"><h2>"Components"</h2><A href="/system" attr:class="link">"Details"</A></div>
            <Transition fallback=|| view! { <p class="muted">"Checking…"</p> }>
                {move || report.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(report) => view! {
                        <ul class="tiles">
                            {report.checks.into_iter().map(|c| view! {
                                <li class="tile" data-component=c.component.clone()>
                                    <span class="tile-name">{c.component.clone()}</span>
                                    {status_badge(c.status)}
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
        </section>
        <section class="card">
            <div class="card-head"><h2>"Latest jobs"</h2><A href="/jobs" attr:class="link">"All jobs"</A></div>
            <JobList feed empty_text="Nothing has run yet."/>
        </section>
    }
}
