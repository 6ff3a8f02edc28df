//! The built-in system policies (spec section 6; documents from the reference's section 4).
//!
//! Where Alibaba Cloud's exact document is not public the entry is a stand-in following the
//! published pattern, marked `stand_in: true`.

/// A built-in, read-only policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SystemPolicy {
    /// The policy name (`PolicyType` `System`).
    pub name: &'static str,
    /// Its default version.
    pub version: &'static str,
    /// Its description.
    pub description: &'static str,
    /// The policy document.
    pub document: &'static str,
    /// Whether the document is a stand-in for a document that is not public.
    pub stand_in: bool,
}

/// Every system policy this directory knows.
pub const SYSTEM_POLICIES: &[SystemPolicy] = &[
    SystemPolicy {
        name: "AdministratorAccess",
        version: "v1",
        description: "Full access to all Alibaba Cloud resources",
        document: r#"{"Statement":[{"Action":"*","Effect":"Allow","Resource":"*"}],"Version":"1"}"#,
        stand_in: true,
    },
    SystemPolicy {
        name: "ReadOnlyAccess",
        version: "v1",
        description: "Read-only access to all Alibaba Cloud resources",
        document: r#"{"Statement":[{"Action":["*:Describe*","*:List*","*:Get*","*:BatchGet*","*:Query*","*:BatchQuery*"],"Effect":"Allow","Resource":"*"}],"Version":"1"}"#,
        stand_in: true,
    },
    SystemPolicy {
        name: "PowerUserAccess",
        version: "v2",
        description: "Full access to Alibaba Cloud services except identity and account management",
        // The second published statement is truncated in the source; only its listed
        // actions are kept.
        document: r#"{"Version":"1","Statement":[{"Effect":"Allow","NotAction":["ram:*","ims:*","resourcemanager:*","resourcesharing:*","cloudsso:*","bss:ModifyAccount","bss:ModifyBillingAccount","bss:ModifyPaymentRelationship","bssapi:ModifyAccountRelation"],"Resource":"*"},{"Effect":"Allow","Action":["ram:ListUserBasicInfos","ram:ListRoles","ram:CreateServiceLinkedRole","ram:DeleteServiceLinkedRole","ram:GetServiceLinkedRoleDeletionStatus","ram:CheckServiceLinkedRoleExistence","resourcemanager:GetAccount"],"Resource":"*"}]}"#,
        stand_in: false,
    },
    SystemPolicy {
        name: "AliyunSTSAssumeRoleAccess",
        version: "v1",
        description: "Permission to call STS AssumeRole",
        document: r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Resource":"*"}],"Version":"1"}"#,
        stand_in: false,
    },
    SystemPolicy {
        name: "AliyunOSSReadOnlyAccess",
        version: "v1",
        description: "Read-only access to Object Storage Service (OSS)",
        document: r#"{"Statement":[{"Action":["oss:Get*","oss:List*"],"Effect":"Allow","Resource":"*"}],"Version":"1"}"#,
        stand_in: false,
    },
    SystemPolicy {
        name: "AliyunOSSFullAccess",
        version: "v1",
        description: "Full access to Object Storage Service (OSS)",
        document: r#"{"Statement":[{"Action":"oss:*","Effect":"Allow","Resource":"*"}],"Version":"1"}"#,
        stand_in: true,
    },
    SystemPolicy {
        name: "AliyunECSFullAccess",
        version: "v1",
        description: "Full access to Elastic Compute Service (ECS)",
        document: r#"{"Statement":[{"Action":"ecs:*","Effect":"Allow","Resource":"*"}],"Version":"1"}"#,
        stand_in: true,
    },
    SystemPolicy {
        name: "AliyunRAMReadOnlyAccess",
        version: "v3",
        description: "Read-only access to Resource Access Management (RAM)",
        document: r#"{"Version":"1","Statement":[{"Action":["ram:Get*","ram:List*","ram:GenerateCredentialReport"],"Resource":"*","Effect":"Allow"},{"Effect":"Allow","Action":["accessanalyzer:Get*","accessanalyzer:List*"],"Resource":"*"}]}"#,
        stand_in: false,
    },
    SystemPolicy {
        name: "AliyunRAMFullAccess",
        version: "v1",
        description: "Full access to Resource Access Management (RAM)",
        document: r#"{"Statement":[{"Action":"ram:*","Effect":"Allow","Resource":"*"}],"Version":"1"}"#,
        stand_in: true,
    },
];

/// The system policy named `name` (RAM resolves policy names case-insensitively).
pub fn system_policy(name: &str) -> Option<&'static SystemPolicy> {
    SYSTEM_POLICIES.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PolicyDocument;

    #[test]
    fn every_system_policy_is_valid() {
        for p in SYSTEM_POLICIES {
            PolicyDocument::parse(p.document).unwrap_or_else(|e| panic!("{}: {e}", p.name));
        }
        assert_eq!(
            system_policy("aliyunossfullaccess").unwrap().name,
            "AliyunOSSFullAccess"
        );
    }
}
