//! System: every component Pier depends on, checked now, with what to do about failures.

use crate::api::{health_report, start_job};
use crate::components::error_box::ErrorBox;
use crate::components::toast::use_toasts;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use pier_proto::health::{Check, CheckStatus};
use pier_proto::jobs::{StartJob, KIND_SYSTEM_CHECK};

pub fn status_badge(status: CheckStatus) -> impl IntoView {
    let class = match status {
        CheckStatus::Ok => "badge badge-succeeded",
        CheckStatus::Warn => "badge badge-queued",
        CheckStatus::Fail => "badge badge-failed",
        CheckStatus::NotConfigured => "badge badge-cancelled",
    };
    view! { <span class=class>{status.label()}</span> }
}

#[component]
pub fn CheckRow(check: Check) -> impl IntoView {
    view! {
        <tr data-component=check.component.clone() data-status=check.status.label()>
            <th scope="row">{check.component.clone()}</th>
            <td>{status_badge(check.status)}</td>
            <td>
                <div>{check.detail.clone()}</div>
                {check.fix.clone().map(|fix| view! { <div class="muted fix">"Fix: " {fix}</div> })}
            </td>
            <td class="num muted">{check.elapsed_ms} " ms"</td>
        </tr>
    }
}

#[component]
pub fn SystemPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    // The first view may use the shared recent report; "Check again" runs the checks now.
    let report = Resource::new(move || version.get(), |v| health_report(v > 0));
    let toasts = use_toasts();
    let run_as_job = move |_| {
        spawn_local(async move {
            let req = StartJob { kind: KIND_SYSTEM_CHECK.into(), params: serde_json::json!({}), idempotency_key: None };
            match start_job(req).await {
                Ok(job) => toasts.success(format!("Health check started as job #{}; see Jobs.", job.id)),
                Err(e) => toasts.error(e.message),
            }
        });
    };
    view! {
        <Title text="System"/>
        <div class="page-head">
            <h1>"System"</h1>
            <p class="muted">"The components Pier drives, checked now. The same checks answer "
                <code>"pier doctor"</code> " and " <code>"GET /healthz"</code> "."</p>
        </div>
        <section class="card">
            <div class="actions-row">
                <button type="button" class="button" on:click=move |_| version.update(|v| *v += 1)>"Check again"</button>
                <button type="button" class="button" on:click=run_as_job>"Run as a job"</button>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Checking components…"</p> }>
                {move || report.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(report) => view! {
                        <p>"Overall: " <strong data-overall=report.status.clone()>{report.status.clone()}</strong>
                           <span class="muted">" · Pier " {report.version.clone()}</span></p>
                        <div class="table-wrap">
                            <table class="table">
                                <thead><tr><th scope="col">"Component"</th><th scope="col">"Status"</th><th scope="col">"Detail"</th><th scope="col">"Took"</th></tr></thead>
                                <tbody>{report.checks.into_iter().map(|check| view! { <CheckRow check/> }).collect_view()}</tbody>
                            </table>
                        </div>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}
