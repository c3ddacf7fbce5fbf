//! BuildKit's Dockerfile check rules (`frontend/dockerfile/linter/ruleset.go` of the
//! current Dockerfile frontend, v0.32): ids, descriptions and documentation URLs
//! exactly as BuildKit publishes them, because clients (buildx `--check`, the
//! warnings of a build) show them verbatim and users look rules up by id in
//! `# check=skip=…`.
//!
//! The message of each finding ("detail") is built by the `*_detail` functions,
//! with BuildKit's wording.
//!
//! Differences from older BuildKit releases that users meet in Docker's built-in
//! frontend: CopyIgnoredFile was experimental up to v0.26 and runs by default since
//! v0.27, when `# check=` comments above single instructions started to count.

use crate::rule::Rule;

pub static STAGE_NAME_CASING: Rule = Rule::new(
    "StageNameCasing",
    "Stage names should be lowercase",
    "https://docs.docker.com/go/dockerfile/rule/stage-name-casing/",
);
pub static FROM_AS_CASING: Rule = Rule::new(
    "FromAsCasing",
    "The 'as' keyword should match the case of the 'from' keyword",
    "https://docs.docker.com/go/dockerfile/rule/from-as-casing/",
);
pub static NO_EMPTY_CONTINUATION: Rule = Rule::new(
    "NoEmptyContinuation",
    "Empty continuation lines will become errors in a future release",
    "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/",
);
pub static CONSISTENT_INSTRUCTION_CASING: Rule = Rule::new(
    "ConsistentInstructionCasing",
    "All commands within the Dockerfile should use the same casing (either upper or lower)",
    "https://docs.docker.com/go/dockerfile/rule/consistent-instruction-casing/",
);
pub static DUPLICATE_STAGE_NAME: Rule = Rule::new(
    "DuplicateStageName",
    "Stage names should be unique",
    "https://docs.docker.com/go/dockerfile/rule/duplicate-stage-name/",
);
pub static RESERVED_STAGE_NAME: Rule = Rule::new(
    "ReservedStageName",
    "Reserved words should not be used as stage names",
    "https://docs.docker.com/go/dockerfile/rule/reserved-stage-name/",
);
pub static JSON_ARGS_RECOMMENDED: Rule = Rule::new(
    "JSONArgsRecommended",
    "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals",
    "https://docs.docker.com/go/dockerfile/rule/json-args-recommended/",
);
pub static MAINTAINER_DEPRECATED: Rule = Rule::new(
    "MaintainerDeprecated",
    "The MAINTAINER instruction is deprecated, use a label instead to define an image author",
    "https://docs.docker.com/go/dockerfile/rule/maintainer-deprecated/",
);
pub static UNDEFINED_ARG_IN_FROM: Rule = Rule::new(
    "UndefinedArgInFrom",
    "FROM command must use declared ARGs",
    "https://docs.docker.com/go/dockerfile/rule/undefined-arg-in-from/",
);
pub static WORKDIR_RELATIVE_PATH: Rule = Rule::new(
    "WorkdirRelativePath",
    "Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes",
    "https://docs.docker.com/go/dockerfile/rule/workdir-relative-path/",
);
pub static UNDEFINED_VAR: Rule = Rule::new(
    "UndefinedVar",
    "Variables should be defined before their use",
    "https://docs.docker.com/go/dockerfile/rule/undefined-var/",
);
pub static MULTIPLE_INSTRUCTIONS_DISALLOWED: Rule = Rule::new(
    "MultipleInstructionsDisallowed",
    "Multiple instructions of the same type should not be used in the same stage",
    "https://docs.docker.com/go/dockerfile/rule/multiple-instructions-disallowed/",
);
pub static LEGACY_KEY_VALUE_FORMAT: Rule = Rule::new(
    "LegacyKeyValueFormat",
    "Legacy key/value format with whitespace separator should not be used",
    "https://docs.docker.com/go/dockerfile/rule/legacy-key-value-format/",
);
/// BuildKit publishes no documentation page for this rule.
pub static INVALID_BASE_IMAGE_PLATFORM: Rule = Rule::new(
    "InvalidBaseImagePlatform",
    "Base image platform does not match expected target platform",
    "",
);
pub static REDUNDANT_TARGET_PLATFORM: Rule = Rule::new(
    "RedundantTargetPlatform",
    "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior",
    "https://docs.docker.com/go/dockerfile/rule/redundant-target-platform/",
);
pub static SECRETS_USED_IN_ARG_OR_ENV: Rule = Rule::new(
    "SecretsUsedInArgOrEnv",
    "Sensitive data should not be used in the ARG or ENV commands",
    "https://docs.docker.com/go/dockerfile/rule/secrets-used-in-arg-or-env/",
);
pub static INVALID_DEFAULT_ARG_IN_FROM: Rule = Rule::new(
    "InvalidDefaultArgInFrom",
    "Default value for global ARG results in an empty or invalid base image name",
    "https://docs.docker.com/go/dockerfile/rule/invalid-default-arg-in-from/",
);
pub static FROM_PLATFORM_FLAG_CONST_DISALLOWED: Rule = Rule::new(
    "FromPlatformFlagConstDisallowed",
    "FROM --platform flag should not use a constant value",
    "https://docs.docker.com/go/dockerfile/rule/from-platform-flag-const-disallowed/",
);
pub static COPY_IGNORED_FILE: Rule = Rule::new(
    "CopyIgnoredFile",
    "Attempting to Copy file that is excluded by .dockerignore",
    "https://docs.docker.com/go/dockerfile/rule/copy-ignored-file/",
);
pub static INVALID_DEFINITION_DESCRIPTION: Rule = Rule::new(
    "InvalidDefinitionDescription",
    "Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`. If this is not intended to be a description comment, add an empty line or comment between the instruction and the comment.",
    "https://docs.docker.com/go/dockerfile/rule/invalid-definition-description/",
)
.experimental();
pub static EXPOSE_PROTO_CASING: Rule = Rule::new(
    "ExposeProtoCasing",
    "Protocol in EXPOSE instruction should be lowercase",
    "https://docs.docker.com/go/dockerfile/rule/expose-proto-casing/",
);
pub static EXPOSE_INVALID_FORMAT: Rule = Rule::new(
    "ExposeInvalidFormat",
    "IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release",
    "https://docs.docker.com/go/dockerfile/rule/expose-invalid-format/",
);

/// Every rule, in the order of BuildKit's ruleset (v0.32).
pub static ALL: [&Rule; 22] = [
    &STAGE_NAME_CASING,
    &FROM_AS_CASING,
    &NO_EMPTY_CONTINUATION,
    &CONSISTENT_INSTRUCTION_CASING,
    &DUPLICATE_STAGE_NAME,
    &RESERVED_STAGE_NAME,
    &JSON_ARGS_RECOMMENDED,
    &MAINTAINER_DEPRECATED,
    &UNDEFINED_ARG_IN_FROM,
    &WORKDIR_RELATIVE_PATH,
    &UNDEFINED_VAR,
    &MULTIPLE_INSTRUCTIONS_DISALLOWED,
    &LEGACY_KEY_VALUE_FORMAT,
    &INVALID_BASE_IMAGE_PLATFORM,
    &REDUNDANT_TARGET_PLATFORM,
    &SECRETS_USED_IN_ARG_OR_ENV,
    &INVALID_DEFAULT_ARG_IN_FROM,
    &FROM_PLATFORM_FLAG_CONST_DISALLOWED,
    &COPY_IGNORED_FILE,
    &INVALID_DEFINITION_DESCRIPTION,
    &EXPOSE_PROTO_CASING,
    &EXPOSE_INVALID_FORMAT,
];

/// Go's `%q` of a string, as BuildKit's formats use.
fn q(s: &str) -> String {
    dfopt_dockerfile::go_quote(s)
}

pub fn stage_name_casing_detail(name: &str) -> String {
    format!("Stage name '{name}' should be lowercase")
}

pub fn from_as_casing_detail(from: &str, as_word: &str) -> String {
    format!("'{as_word}' and '{from}' keywords' casing do not match")
}

pub fn no_empty_continuation_detail() -> String {
    "Empty continuation line".to_owned()
}

pub fn consistent_casing_detail(command: &str, casing: &str) -> String {
    format!("Command '{command}' should match the case of the command majority ({casing})")
}

pub fn duplicate_stage_name_detail(name: &str) -> String {
    format!(
        "Duplicate stage name {}, stage names should be unique",
        q(name)
    )
}

pub fn reserved_stage_name_detail(name: &str) -> String {
    format!(
        "Stage name should not use the same name as reserved stage {}",
        q(name)
    )
}

pub fn json_args_detail(instruction: &str) -> String {
    format!("JSON arguments recommended for {instruction} to prevent unintended behavior related to OS signals")
}

pub fn maintainer_detail() -> String {
    "Maintainer instruction is deprecated in favor of using label".to_owned()
}

pub fn undefined_arg_in_from_detail(arg: &str, suggestion: Option<&str>) -> String {
    let mut out = format!("FROM argument '{arg}' is not declared");
    if let Some(s) = suggestion {
        out.push_str(&format!(" (did you mean {s}?)"));
    }
    out
}

pub fn workdir_relative_detail(workdir: &str) -> String {
    format!(
        "Relative workdir {} can have unexpected results if the base image changes",
        q(workdir)
    )
}

pub fn undefined_var_detail(name: &str, suggestion: Option<&str>) -> String {
    let mut out = format!("Usage of undefined variable '${name}'");
    if let Some(s) = suggestion {
        out.push_str(&format!(" (did you mean ${s}?)"));
    }
    out
}

pub fn multiple_instructions_detail(instruction: &str) -> String {
    format!("Multiple {instruction} instructions should not be used in the same stage because only the last one will be used")
}

pub fn legacy_key_value_detail(command: &str) -> String {
    format!(
        "\"{command} key=value\" should be used instead of legacy \"{command} key value\" format"
    )
}

pub fn redundant_target_platform_detail(platform: &str) -> String {
    format!("Setting platform to predefined {platform} in FROM is redundant as this is the default behavior")
}

pub fn secrets_detail(instruction: &str, key: &str) -> String {
    format!(
        "Do not use ARG or ENV instructions for sensitive data ({instruction} {})",
        q(key)
    )
}

pub fn invalid_default_arg_detail(base: &str) -> String {
    format!("Default value for ARG {base} results in empty or invalid base image name")
}

pub fn platform_const_detail(platform: &str) -> String {
    format!(
        "FROM --platform flag should not use constant value {}",
        q(platform)
    )
}

pub fn copy_ignored_detail(command: &str, file: &str) -> String {
    format!(
        "Attempting to {command} file {} that is excluded by .dockerignore",
        q(file)
    )
}

pub fn invalid_description_detail(instruction: &str, name: &str) -> String {
    format!("Comment for {instruction} should follow the format: `# {name} <description>`")
}

pub fn invalid_base_image_platform_detail(image: &str, expected: &str, actual: &str) -> String {
    format!(
        "Base image {image} was pulled with platform {}, expected {} for current build",
        q(actual),
        q(expected)
    )
}

pub fn expose_proto_casing_detail(port: &str) -> String {
    format!("Defined protocol '{port}' in EXPOSE instruction should be lowercase")
}

pub fn expose_invalid_format_detail(port: &str) -> String {
    format!(
        "EXPOSE instruction should not define an IP address or host-port mapping, found '{port}'"
    )
}
