#![allow(dead_code)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::{Action, Resource, require};

#[derive(Action, Clone, Copy, Debug, PartialEq, Eq)]
#[action(service = "ecs")]
enum EcsAction {
    StartInstance,
    StopInstance,
    #[action(name = "DescribeInstances")]
    Describe,
}

#[derive(Resource)]
#[resource(arn = "acs:ecs:{region}:{account}:instance/{id}")]
struct Instance {
    region: &'static str,
    account: u64,
    id: String,
}

#[require(action = EcsAction::StartInstance, resource = instance)]
fn start(ctx: &AppContext, instance: &Instance) -> Result<(), ApiError> {
    Ok(())
}

#[require(action = EcsAction::StopInstance, resource = "*")]
fn stop_all(ctx: &AppContext) -> Result<(), ApiError> {
    Ok(())
}

fn main() {
    assert_eq!(EcsAction::ALL.to_vec(), vec![EcsAction::StartInstance, EcsAction::StopInstance, EcsAction::Describe]);
    assert_eq!("ecs:describeinstances".parse::<EcsAction>(), Ok(EcsAction::Describe));
    assert!("oss:StartInstance".parse::<EcsAction>().is_err());
    assert_eq!(EcsAction::StopInstance.to_string(), "ecs:StopInstance");
    let i = Instance { region: "cn-hangzhou", account: 123456789012, id: "i-1".into() };
    assert_eq!(i.arn(), "acs:ecs:cn-hangzhou:123456789012:instance/i-1");
    assert!(start(&ctx(Some("alice")), &i).is_ok());
    assert_eq!(stop_all(&ctx(Some("alice"))).unwrap_err().status(), 403);
}
