//! Draws the chart of `benches/RESULTS.md` from the JSON of `--bin compare`: median latency
//! per decision against the number of statements (10, 100, 1,000, 10,000), log scales on both
//! axes, `ram`, Cedar and casbin, one panel per filler shape (F1, F2), one line per engine and
//! request.
//!
//! ```sh
//! cargo run --release -p ram-benches --bin compare -- --json > results.json
//! cargo run --release -p ram-benches --features chart --bin chart -- results.json benches/results.png
//! ```
//!
//! Text is drawn with DejaVu Sans, bundled in `benches/assets/` (licence beside it) and read
//! through `ab_glyph`, so the chart looks the same on any machine and needs no system font
//! library. The `chart` feature is off by default (see `Cargo.toml`: with it, criterion's own
//! plots lose their font).

use std::process::ExitCode;

use clap::Parser;
use plotters::prelude::*;
use plotters::style::FontStyle;
use serde_json::Value;

/// Draws latency against statement count (log scales) for ram, Cedar and casbin from the JSON
/// of `compare --json`.
#[derive(Parser)]
#[command(name = "chart")]
struct Args {
    /// The JSON that `compare --json` printed.
    #[arg(value_name = "RESULTS.json")]
    input: String,
    /// The PNG to write.
    #[arg(value_name = "OUT.png")]
    out: String,
    /// Passed by `cargo bench` to every target; nothing to do for it.
    #[arg(long, hide = true)]
    bench: bool,
}

const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// (engine label, JSON field, colour).
const ENGINES: [(&str, &str, RGBColor); 3] = [
    ("ram", "ram_ns", RGBColor(0xd6, 0x27, 0x28)),
    ("Cedar", "cedar_ns", RGBColor(0x1f, 0x77, 0xb4)),
    ("casbin", "casbin_ns", RGBColor(0x2c, 0xa0, 0x2c)),
];

const REQUESTS: [&str; 3] = ["allow", "explicit_deny", "implicit_deny"];

/// One measured point.
struct Point {
    filler: String,
    request: String,
    statements: f64,
    ns: [f64; 3],
}

fn points(json: &Value) -> Result<Vec<Point>, String> {
    let rows = json["workloads"].as_array().ok_or("no \"workloads\" array")?;
    rows.iter()
        .map(|r| {
            let text = |k: &str| r[k].as_str().map(str::to_owned).ok_or(format!("no {k:?} in {r}"));
            let num = |k: &str| r[k].as_f64().ok_or(format!("no {k:?} in {r}"));
            Ok(Point {
                filler: text("filler")?,
                request: text("request")?,
                statements: num("statements")?,
                ns: [num("ram_ns")?, num("cedar_ns")?, num("casbin_ns")?],
            })
        })
        .collect()
}

fn draw(points: &[Point], out: &str) -> Result<(), Box<dyn std::error::Error>> {
    let root = BitMapBackend::new(out, (1400, 640)).into_drawing_area();
    root.fill(&WHITE)?;
    let (title, body) = root.split_vertically(84);
    title.draw(&Text::new(
        "Median latency per decision, W-policies (log-log; lower is better)",
        (20, 12),
        ("sans-serif", 24).into_font(),
    ))?;
    // One legend for both panels, above them: colour = engine, marker = request.
    let font = ("sans-serif", 17).into_font();
    let y = 62;
    let mut x = 30;
    for (engine, _, colour) in ENGINES {
        title.draw(&PathElement::new(vec![(x, y), (x + 30, y)], colour.stroke_width(3)))?;
        title.draw(&Text::new(engine, (x + 38, y - 9), font.clone()))?;
        x += 130;
    }
    x += 40;
    let grey = RGBColor(0x55, 0x55, 0x55);
    title.draw(&Circle::new((x, y), 6, grey.filled()))?;
    title.draw(&Text::new("allow", (x + 14, y - 9), font.clone()))?;
    x += 100;
    title.draw(&TriangleMarker::new((x, y), 7, grey.filled()))?;
    title.draw(&Text::new("explicit deny", (x + 14, y - 9), font.clone()))?;
    x += 160;
    title.draw(&Cross::new((x, y), 7, grey.stroke_width(2)))?;
    title.draw(&Text::new("implicit deny", (x + 14, y - 9), font.clone()))?;
    let y_max = points.iter().flat_map(|p| p.ns).fold(1.0, f64::max) * 3.0;
    let y_min = points.iter().flat_map(|p| p.ns).fold(f64::MAX, f64::min) / 3.0;
    let x_max = points.iter().map(|p| p.statements).fold(10.0, f64::max) * 1.5;
    let fillers = [
        ("F1", "F1: filler attached to other users"),
        ("F2", "F2: filler in alice's group, other services"),
    ];
    for ((filler, caption), area) in fillers.iter().zip(body.split_evenly((1, 2))) {
        let mut chart = ChartBuilder::on(&area)
            .caption(*caption, ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d((7.0..x_max).log_scale(), (y_min..y_max).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("statements in the account")
            .y_desc("ns per decision")
            .x_label_formatter(&|x| thousands(*x))
            .y_label_formatter(&|y| duration(*y))
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 16))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        for (e, (_, _, colour)) in ENGINES.iter().enumerate() {
            for (r, request) in REQUESTS.iter().enumerate() {
                let mut line: Vec<(f64, f64)> = points
                    .iter()
                    .filter(|p| p.filler == *filler && p.request == *request)
                    .map(|p| (p.statements, p.ns[e]))
                    .collect();
                line.sort_by(|a, b| a.0.total_cmp(&b.0));
                let style = ShapeStyle::from(colour).stroke_width(2);
                // The request is told by the marker.
                match r {
                    0 => chart.draw_series(line.iter().map(|&p| Circle::new(p, 5, colour.filled())))?,
                    1 => chart.draw_series(line.iter().map(|&p| TriangleMarker::new(p, 6, colour.filled())))?,
                    _ => chart.draw_series(line.iter().map(|&p| Cross::new(p, 6, colour.stroke_width(2))))?,
                };
                chart.draw_series(LineSeries::new(line, style))?;
            }
        }
    }
    root.present()?;
    Ok(())
}

fn thousands(x: f64) -> String {
    let n = x.round() as u64;
    if n >= 1_000 {
        format!("{},{:03}", n / 1_000, n % 1_000)
    } else {
        n.to_string()
    }
}

fn duration(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.0} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.0} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn main() -> ExitCode {
    let Args { input, out, .. } = Args::parse();
    if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
        eprintln!("chart: the bundled font is not a valid font");
        return ExitCode::FAILURE;
    }
    let json: Value = match std::fs::read_to_string(&input)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            eprintln!("chart: cannot read {input}: {e}");
            return ExitCode::from(2);
        }
    };
    let points = match points(&json) {
        Ok(p) if !p.is_empty() => p,
        Ok(_) => {
            eprintln!("chart: {input} has no workloads");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("chart: {input}: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = draw(&points, &out) {
        eprintln!("chart: drawing {out}: {e}");
        return ExitCode::FAILURE;
    }
    eprintln!("chart: wrote {out}");
    ExitCode::SUCCESS
}
