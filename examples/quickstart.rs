//! The 60-second tour: load the RAM policies a team already writes, build request contexts,
//! decide, and print why.
//!
//! Run with `cargo run --example quickstart`.

use std::error::Error;
use std::net::IpAddr;

use ram_core::{Decision, Explanation, PolicyDocument, PolicyRef, PolicySet, Request, RequestContext, Source};

/// What the `dev` group gets: read ECS and OSS, but only over TLS from the office network.
const DEV_GROUP: &str = r#"{
  "Version": "1",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["ecs:Describe*", "oss:Get*", "oss:List*"],
      "Resource": ["acs:ecs:cn-hangzhou:123456:instance/*", "acs:oss:*:123456:bucket/app-logs/*"],
      "Condition": {
        "Bool": {"acs:SecureTransport": "true"},
        "IpAddress": {"acs:SourceIp": ["198.51.100.0/24", "2001:db8::/32"]}
      }
    },
    {"Effect": "Deny", "Action": ["ecs:Delete*", "oss:Delete*"], "Resource": "*"}
  ]
}"#;

/// What alice gets on her own: start and stop instances during the 2026 on-call window.
const ALICE: &str = r#"{
  "Version": "1",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["ecs:StartInstance", "ecs:StopInstance"],
      "Resource": "acs:ecs:cn-hangzhou:123456:instance/*",
      "Condition": {
        "DateGreaterThanEquals": {"acs:CurrentTime": "2026-01-01T00:00:00+08:00"},
        "DateLessThan": {"acs:CurrentTime": "2027-01-01T00:00:00+08:00"}
      }
    }
  ]
}"#;

fn main() -> Result<(), Box<dyn Error>> {
    // 1. Parse and validate. A malformed document is refused as a whole, every problem named.
    let bad = r#"{"Version":"1","Statement":[{"Effect":"allow","Action":"ecs","Resource":"*","Sid":"x"}]}"#;
    if let Err(e) = PolicyDocument::parse(bad) {
        println!("A malformed policy is rejected ({}):", e.code());
        for p in e.problems() {
            println!("  {p}");
        }
        println!();
    }

    // 2. Compile what alice sees (her own policies plus her groups') into one indexed set.
    let set = PolicySet::builder()
        .add_document(
            PolicyRef::new("DevReadOnly", "v1", Source::Group("dev".into())),
            &PolicyDocument::parse(DEV_GROUP)?,
        )
        .add_document(
            PolicyRef::new("AliceOnCall", "v1", Source::User),
            &PolicyDocument::parse(ALICE)?,
        )
        .add_document(
            PolicyRef::new("AliyunOSSReadOnlyAccess", "v1", Source::Group("dev".into())),
            &PolicyDocument::parse(
                r#"{"Statement":[{"Action":["oss:Get*","oss:List*"],"Effect":"Allow","Resource":"*"}],"Version":"1"}"#,
            )?,
        )
        .build();

    // 3. Build contexts as a web service would from the live request.
    let office: IpAddr = "198.51.100.23".parse()?;
    let cafe: IpAddr = "203.0.113.9".parse()?;
    let now = "2026-11-28T10:00:00Z".parse()?;
    let in_office = RequestContext::builder()
        .source_ip(office)
        .secure_transport(true)
        .current_time(now)
        .build();
    let plain_http = RequestContext::builder()
        .source_ip(office)
        .secure_transport(false)
        .current_time(now)
        .build();
    let from_cafe = RequestContext::builder()
        .source_ip(cafe)
        .secure_transport(true)
        .current_time(now)
        .build();

    let instance = "acs:ecs:cn-hangzhou:123456:instance/i-bp67acfmxazb4p";
    let cases = [
        (
            "describe from the office over TLS",
            "ecs:DescribeInstances",
            instance,
            &in_office,
        ),
        (
            "describe over plain HTTP",
            "ecs:DescribeInstances",
            instance,
            &plain_http,
        ),
        ("describe from a cafe", "ecs:DescribeInstances", instance, &from_cafe),
        ("delete an instance", "ecs:DeleteInstance", instance, &in_office),
        (
            "stop an instance while on call",
            "ecs:StopInstance",
            instance,
            &from_cafe,
        ),
        (
            "read any bucket (system policy)",
            "oss:GetObject",
            "acs:oss:cn-hangzhou:123456:bucket/billing/2026.csv",
            &from_cafe,
        ),
        (
            "write a log object",
            "oss:PutObject",
            "acs:oss:cn-hangzhou:123456:bucket/app-logs/a.log",
            &in_office,
        ),
    ];

    // 4. Decide (the hot path: no allocation, no lock) and explain (for logs and humans).
    for (what, action, resource, ctx) in cases {
        let req = Request::new(action, resource, ctx);
        let decision = set.decide(&req);
        println!("{what}: {action} -> {decision}");
        print_explanation(&set.explain(&req));
        assert_eq!(decision, set.explain(&req).decision);
    }
    println!();
    println!("As JSON (what `ram eval --json` prints):");
    let req = Request::new("ecs:DescribeInstances", instance, &plain_http);
    println!("{}", serde_json::to_string_pretty(&set.explain(&req))?);
    Ok(())
}

fn print_explanation(e: &Explanation) {
    for m in &e.matched {
        println!(
            "    {} by {} {} statement {} ({})",
            verb(e.decision),
            m.policy,
            m.version,
            m.statement,
            m.source
        );
    }
    if let Some(failed) = &e.failed_conditions {
        if failed.is_empty() {
            println!("    no statement matches this action and resource");
        }
        for f in failed {
            println!(
                "    {} {} statement {} ({}) did not apply: {} on {} failed",
                f.policy, f.version, f.statement, f.source, f.operator, f.key
            );
        }
    }
}

fn verb(d: Decision) -> &'static str {
    match d {
        Decision::Allow => "allowed",
        _ => "denied",
    }
}
