//! Unit tests of the CODEOWNERS reader (corpus and pattern-table tests: tests/owners_codeowners.rs).

use super::*;

#[test]
fn detect_syntax_by_section_headers() {
    assert_eq!(Syntax::detect("* @a\n/docs/ @b\n"), Syntax::GitHub);
    assert_eq!(Syntax::detect("* @a\n[Docs] @b\n"), Syntax::GitLab);
    assert_eq!(Syntax::detect("  ^[Db][2]\n"), Syntax::GitLab);
    assert_eq!(Syntax::detect("# [Docs]\n"), Syntax::GitHub);
}

#[test]
fn owner_tokens() {
    let gh = Syntax::GitHub;
    assert_eq!(Owner::parse("@a-b", gh), Some(Owner::User("a-b".into())));
    assert_eq!(
        Owner::parse("@o/t_x", gh),
        Some(Owner::Team("o/t_x".into()))
    );
    assert_eq!(
        Owner::parse("a.b+c@ex.org", gh),
        Some(Owner::Email("a.b+c@ex.org".into()))
    );
    for bad in [
        "@", "@/t", "@o/", "user", "a@b", "@a b", "#", "a@.org", "@x@y",
    ] {
        assert_eq!(Owner::parse(bad, gh), None, "{bad}");
    }
}

#[test]
fn pattern_token_keeps_escaped_spaces() {
    assert_eq!(split_pattern("a\\ b @x"), ("a\\ b", " @x"));
    assert_eq!(split_pattern("trail\\"), ("trail\\", ""));
    assert_eq!(split_pattern("p\t@x"), ("p", "\t@x"));
}
