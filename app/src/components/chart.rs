//! Metric charts drawn as SVG by us (no chart library): the average as a line over the
//! minimum–maximum band, a hover read-out, gaps where no samples came, and a live tail from
//! the target's metrics topic. `MetricsPanel` puts a range picker (1 h, 24 h, 7 d, 30 d,
//! custom) over a set of charts of one target.

use crate::api::monitoring::metric_series;
use crate::live::{use_live, LiveMsg};
use leptos::prelude::*;
use pier_proto::live::Topic;
use pier_proto::monitoring::{metrics_topic, LiveSamples, Point, SeriesQuery};
use std::collections::HashMap;

/// How a metric's values read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Percent,
    Bytes,
    BytesPerSecond,
    Millis,
    PerSecond,
    Plain,
}

impl Unit {
    pub fn format(self, v: f64) -> String {
        let bytes = |v: f64| {
            let units = ["B", "KiB", "MiB", "GiB", "TiB"];
            let (mut v, mut i) = (v, 0);
            while v.abs() >= 1024.0 && i + 1 < units.len() {
                v /= 1024.0;
                i += 1;
            }
            if i == 0 { format!("{v:.0} {}", units[i]) } else { format!("{v:.1} {}", units[i]) }
        };
        match self {
            Unit::Percent => format!("{v:.1} %"),
            Unit::Bytes => bytes(v),
            Unit::BytesPerSecond => format!("{}/s", bytes(v)),
            // Pier's own answers take well under a millisecond: keep their digits.
            Unit::Millis if v < 1.0 => format!("{v:.2} ms"),
            Unit::Millis if v < 10.0 => format!("{v:.1} ms"),
            Unit::Millis => format!("{v:.0} ms"),
            Unit::PerSecond => format!("{v:.2}/s"),
            Unit::Plain => if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.2}") },
        }
    }
}

/// One chart of a panel.
#[derive(Debug, Clone, Copy)]
pub struct ChartSpec {
    pub metric: &'static str,
    pub title: &'static str,
    pub unit: Unit,
}

/// The time range of a panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    Last(i64),
    Custom { from: i64, to: i64 },
}

impl Range {
    pub const CHOICES: [(&'static str, i64); 4] = [("1 h", 3_600), ("24 h", 86_400), ("7 d", 7 * 86_400), ("30 d", 30 * 86_400)];

    fn bounds(self, now: i64) -> (i64, i64) {
        match self {
            Range::Last(s) => (now - s, now),
            Range::Custom { from, to } => (from, to),
        }
    }
}

/// Now in unix seconds, in the browser and on the server.
pub fn now_s() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        (js_sys::Date::now() / 1000.0) as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
    }
}

const W: f64 = 640.0;
const H: f64 = 150.0;
const LEFT: f64 = 0.0;

/// A y-axis top above `max`: 1, 2 or 5 times a power of ten (100 for percentages).
fn nice_top(max: f64, unit: Unit) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(max.log10().floor());
    let top = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * p).find(|v| *v >= max).unwrap_or(10.0 * p);
    // A percentage never needs more than 100 (small ones are scaled up to be seen).
    if unit == Unit::Percent { top.min(100.0) } else { top }
}

/// An axis label: the time of day for a range within a day, the date beyond.
fn axis_label(t: i64, span: i64) -> String {
    let full = crate::format::when(t);
    if span <= 86_400 { full.get(11..16).unwrap_or(&full).to_string() } else { full.get(..10).unwrap_or(&full).to_string() }
}

/// Runs of points without a gap longer than `gap` seconds.
fn runs(points: &[Point], gap: i64) -> Vec<&[Point]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..points.len() {
        if points[i].t - points[i - 1].t > gap {
            out.push(&points[start..i]);
            start = i;
        }
    }
    if start < points.len() {
        out.push(&points[start..]);
    }
    out
}

#[component]
fn Chart(spec: ChartSpec, points: Signal<Vec<Point>>, from: Signal<i64>, to: Signal<i64>, step: Signal<i64>) -> impl IntoView {
    let hover = RwSignal::new(None::<Point>);
    let geometry = move || {
        let pts = points.get();
        let (from, to) = (from.get(), to.get());
        let span = (to - from).max(1) as f64;
        let top = nice_top(pts.iter().map(|p| p.max).fold(0.0, f64::max), spec.unit);
        let x = move |t: i64| LEFT + (t - from) as f64 / span * (W - LEFT);
        let y = move |v: f64| H - (v / top).clamp(0.0, 1.0) * H;
        let gap = (step.get() * 3).max(30);
        let mut line = String::new();
        let mut band = String::new();
        for run in runs(&pts, gap) {
            line.push('M');
            for p in run {
                line.push_str(&format!("{:.1},{:.1} ", x(p.t), y(p.avg)));
            }
            // A lone point is drawn as a short dash.
            if let [p] = run {
                line.push_str(&format!("{:.1},{:.1} ", x(p.t) - 2.0, y(p.avg)));
            }
            if run.iter().any(|p| p.max > p.min) {
                band.push('M');
                for p in run {
                    band.push_str(&format!("{:.1},{:.1} ", x(p.t), y(p.max)));
                }
                for p in run.iter().rev() {
                    band.push_str(&format!("{:.1},{:.1} ", x(p.t), y(p.min)));
                }
                band.push('Z');
            }
        }
        (line, band, top)
    };
    let on_move = move |ev: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(el) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
            let rect = el.get_bounding_client_rect();
            let ratio = ((f64::from(ev.client_x()) - rect.left()) / rect.width().max(1.0)).clamp(0.0, 1.0);
            let t = from.get_untracked() + (ratio * (to.get_untracked() - from.get_untracked()) as f64) as i64;
            let pts = points.get_untracked();
            hover.set(pts.iter().min_by_key(|p| (p.t - t).abs()).copied());
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let latest = move || points.get().last().map(|p| spec.unit.format(p.avg));
    view! {
        <figure class="chart" data-metric=spec.metric data-points=move || points.get().len().to_string()>
            <figcaption>
                <span class="chart-title">{spec.title}</span>
                <span class="chart-value" aria-live="polite">{move || match hover.get() {
                    Some(p) => format!("{} · {} (min {}, max {})", crate::format::when(p.t), spec.unit.format(p.avg), spec.unit.format(p.min), spec.unit.format(p.max)),
                    None => latest().unwrap_or_else(|| "no data yet".into()),
                }}</span>
            </figcaption>
            <svg viewBox=format!("0 0 {W} {H}") preserveAspectRatio="none" role="img" aria-label=spec.title
                on:mousemove=on_move on:mouseleave=move |_| hover.set(None)>
                <line class="chart-grid" x1="0" x2=W.to_string() y1=(H / 2.0).to_string() y2=(H / 2.0).to_string()/>
                <path class="chart-band" d=move || geometry().1/>
                <path class="chart-line" d=move || geometry().0 vector-effect="non-scaling-stroke"/>
                {move || hover.get().map(|p| {
                    let (from, to) = (from.get(), to.get());
                    let x = LEFT + (p.t - from) as f64 / (to - from).max(1) as f64 * (W - LEFT);
                    view! { <line class="chart-cursor" x1=x.to_string() x2=x.to_string() y1="0" y2=H.to_string() vector-effect="non-scaling-stroke"/> }
                })}
            </svg>
            <div class="chart-axis">
                <span>{move || axis_label(from.get(), to.get() - from.get())}</span>
                <span>{move || format!("top {}", spec.unit.format(geometry().2))}</span>
                <span>{move || axis_label(to.get(), to.get() - from.get())}</span>
            </div>
        </figure>
    }
}

/// Charts of `target` with a range picker; the live tail follows while the range ends now.
#[component]
pub fn MetricsPanel(#[prop(into)] target: String, charts: Vec<ChartSpec>) -> impl IntoView {
    let range = RwSignal::new(Range::Last(3_600));
    let version = RwSignal::new(0u32);
    // Samples pushed since the last fetch, per metric.
    let tail = RwSignal::new(HashMap::<String, Vec<Point>>::new());
    let bounds = RwSignal::new(range.get_untracked().bounds(now_s()));
    let (custom_from, custom_to) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let metrics: Vec<&'static str> = charts.iter().map(|c| c.metric).collect();
    let t = target.clone();
    let data = Resource::new(
        move || (range.get(), version.get()),
        move |(r, _)| {
            let (target, metrics) = (t.clone(), metrics.clone());
            async move {
                let (from, to) = r.bounds(now_s());
                let mut out = HashMap::new();
                for m in metrics {
                    let q = SeriesQuery { target: target.clone(), metric: m.to_string(), from, to };
                    out.insert(m.to_string(), metric_series(q).await?);
                }
                Ok::<_, pier_proto::ApiError>((from, to, out))
            }
        },
    );
    if let Ok(topic) = Topic::new(metrics_topic(&target)) {
        use_live(topic, move |msg| match msg {
            LiveMsg::Data(d) => {
                let Ok(s) = serde_json::from_value::<LiveSamples>(d) else { return };
                if !matches!(range.get_untracked(), Range::Last(_)) {
                    return;
                }
                tail.update(|tail| {
                    for (m, v) in &s.values {
                        tail.entry(m.clone()).or_default().push(Point { t: s.t, avg: *v, min: *v, max: *v });
                    }
                });
                bounds.update(|(from, to)| {
                    let span = *to - *from;
                    *to = (*to).max(s.t);
                    *from = *to - span;
                });
            }
            LiveMsg::Resync => version.update(|v| *v += 1),
        });
    }
    let apply_custom = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parse = |s: String| s.parse::<i64>().ok().or_else(|| parse_local(&s));
        if let (Some(from), Some(to)) = (parse(custom_from.get_untracked()), parse(custom_to.get_untracked())) {
            if to > from {
                range.set(Range::Custom { from, to });
            }
        }
    };
    view! {
        <section class="card metrics-panel">
            <div class="range-picker" role="group" aria-label="Time range">
                {Range::CHOICES.map(|(label, secs)| view! {
                    <button type="button" class="button small" aria-pressed=move || (range.get() == Range::Last(secs)).to_string()
                        on:click=move |_| range.set(Range::Last(secs))>{label}</button>
                })}
                <form class="custom-range" on:submit=apply_custom>
                    <label>"From "<input type="datetime-local" aria-label="From" prop:value=move || custom_from.get() on:input=move |ev| custom_from.set(event_target_value(&ev))/></label>
                    <label>" to "<input type="datetime-local" aria-label="To" prop:value=move || custom_to.get() on:input=move |ev| custom_to.set(event_target_value(&ev))/></label>
                    <button type="submit" class="button small">"Show"</button>
                </form>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading figures…"</p> }>
                {move || data.get().map(|r| match r {
                    Err(e) => view! { <crate::components::error_box::ErrorBox error=e/> }.into_any(),
                    Ok((from, to, series)) => {
                        tail.update_untracked(|t| t.clear());
                        bounds.update_untracked(|b| *b = (from, to));
                        let from_s = Signal::derive(move || bounds.get().0);
                        let to_s = Signal::derive(move || bounds.get().1);
                        charts.iter().map(|spec| {
                            let s = series.get(spec.metric).cloned();
                            let step = s.as_ref().map_or(10, |s| s.step_s);
                            let base = s.map(|s| s.points).unwrap_or_default();
                            let metric = spec.metric.to_string();
                            let points = Signal::derive(move || {
                                let mut p = base.clone();
                                let last = p.last().map_or(i64::MIN, |l| l.t);
                                p.extend(tail.get().get(&metric).into_iter().flatten().filter(|x| x.t > last).copied());
                                let from = bounds.get().0;
                                p.retain(|x| x.t >= from);
                                p
                            });
                            view! { <Chart spec=*spec points from=from_s to=to_s step=Signal::derive(move || step)/> }
                        }).collect_view().into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

/// `2026-12-02T10:30` (a datetime-local input, taken as UTC) → unix seconds.
fn parse_local(s: &str) -> Option<i64> {
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (h, min) = (t.next()??, t.next()??);
    // Days from the civil date (the inverse of `format::when`).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3_600 + min * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_axes_gaps_and_dates() {
        assert_eq!(Unit::Percent.format(12.345), "12.3 %");
        assert_eq!(Unit::Bytes.format(1536.0), "1.5 KiB");
        assert_eq!(Unit::BytesPerSecond.format(3.0 * 1024.0 * 1024.0), "3.0 MiB/s");
        assert_eq!(nice_top(37.0, Unit::Percent), 50.0);
        assert_eq!(nice_top(97.0, Unit::Percent), 100.0);
        assert_eq!(axis_label(1_795_000_000, 3_600), "11:06");
        assert_eq!(axis_label(1_795_000_000, 7 * 86_400), "2026-11-18");
        assert_eq!(nice_top(3_700.0, Unit::Bytes), 5_000.0);
        assert_eq!(nice_top(0.0, Unit::Plain), 1.0);
        let p = |t| Point { t, avg: 1.0, min: 1.0, max: 1.0 };
        let pts = [p(0), p(10), p(20), p(200), p(210)];
        assert_eq!(runs(&pts, 30).iter().map(|r| r.len()).collect::<Vec<_>>(), vec![3, 2]);
        assert_eq!(parse_local("2026-11-18T11:06"), Some(1_795_000_000 - 1_795_000_000 % 60));
        assert_eq!(crate::format::when(parse_local("2000-02-29T00:00").unwrap()), "2000-02-29 00:00 UTC");
    }
}
