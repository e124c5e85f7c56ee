use super::git::parse_for_tests;
use super::*;

fn origin(name: &str, email: &str, time: i64, c: char) -> Origin {
    Origin {
        name: name.into(),
        email: email.into(),
        time,
        commit: c.to_string().repeat(40),
        boundary: false,
    }
}

/// Lines 1-3 Ann (old), 4-5 Bob, 6 Ann (newer commit), 7-10 Cy.
fn sample() -> FileBlame {
    let origins = vec![
        origin("Ann", "ann@x.example", 100, 'a'),
        origin("Bob", "bob@x.example", 200, 'b'),
        origin("Ann", "ann@x.example", 300, 'c'),
        origin("Cy", "cy@x.example", 50, 'd'),
    ];
    FileBlame::from_runs(origins, vec![(7, 4, 3), (1, 3, 0), (4, 2, 1), (6, 1, 2)])
        .expect("valid runs")
}

#[test]
fn authors_of_exact_lines_most_recent_first() {
    let b = sample();
    assert_eq!(b.lines(), 10);
    let a = b.authors_of(3, 6);
    let summary: Vec<_> = a
        .iter()
        .map(|a| (a.name.as_str(), a.lines, a.latest, a.commit.as_bytes()[0]))
        .collect();
    assert_eq!(summary, vec![("Ann", 2, 300, b'c'), ("Bob", 2, 200, b'b')]);
    let one = b.authors_of(8, 8);
    assert_eq!(
        (one.len(), one[0].name.as_str(), one[0].lines),
        (1, "Cy", 1)
    );
    assert_eq!(b.origin_of(6).map(|o| o.time), Some(300));
    assert_eq!(b.origin_of(11), None);
    assert_eq!(b.origin_of(0), None);
}

#[test]
fn ranges_are_clamped_to_the_file() {
    let b = sample();
    assert!(b.authors_of(11, 20).is_empty());
    assert!(b.authors_of(6, 5).is_empty());
    let all = b.authors_of(0, 1000);
    assert_eq!(all.iter().map(|a| a.lines).sum::<u32>(), 10);
    assert_eq!(all.len(), 3);
}

#[test]
fn neighbouring_runs_of_one_commit_merge() {
    let o = vec![origin("Ann", "ann@x.example", 1, 'a')];
    let b = FileBlame::from_runs(o, vec![(1, 2, 0), (3, 5, 0)]).expect("valid");
    assert_eq!(b.hunks.len(), 1);
    assert_eq!(b.lines(), 7);
}

#[test]
fn runs_must_cover_the_file_once() {
    let o = || vec![origin("Ann", "ann@x.example", 1, 'a')];
    assert!(FileBlame::from_runs(o(), vec![(1, 2, 0), (4, 1, 0)]).is_err());
    assert!(FileBlame::from_runs(o(), vec![(1, 2, 0), (2, 1, 0)]).is_err());
    assert!(FileBlame::from_runs(o(), vec![(1, 2, 1)]).is_err());
    let mut bad = o();
    bad[0].commit = "HEAD".into();
    assert!(FileBlame::from_runs(bad, vec![(1, 1, 0)]).is_err());
    let empty = FileBlame::from_runs(o(), vec![]).expect("empty file");
    assert_eq!(empty.lines(), 0);
    assert!(empty.authors_of(1, 1).is_empty());
}

#[test]
fn encoding_round_trips() {
    let mut b = sample();
    b.origins[1].boundary = true;
    b.origins[1].time = -5;
    b.origins[0].name = "Zoë \u{202e}".into();
    let data = b.encode();
    assert_eq!(FileBlame::decode(&data), Ok(b));
}

#[test]
fn damaged_encodings_are_errors_not_panics() {
    let data = sample().encode();
    for n in 0..data.len() {
        assert!(FileBlame::decode(&data[..n]).is_err(), "truncated to {n}");
    }
    for i in 0..data.len() {
        for bit in 0..8 {
            let mut d = data.clone();
            d[i] ^= 1 << bit;
            assert!(FileBlame::decode(&d).is_err(), "byte {i} bit {bit}");
        }
    }
    let mut extra = data.clone();
    extra.push(0);
    assert!(FileBlame::decode(&extra).is_err());
    let mut v2 = data;
    v2[4] = 2;
    assert_eq!(FileBlame::decode(&v2), Err(DecodeError::Version(2)));
    assert_eq!(FileBlame::decode(b"garbage!"), Err(DecodeError::Magic));
}

#[test]
fn random_bytes_after_a_valid_header_never_panic() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    for _ in 0..2000 {
        let mut d = b"LMBL\x01".to_vec();
        let n = rng.random_range(0..64);
        d.extend((0..n).map(|_| rng.random::<u8>()));
        let _ = FileBlame::decode(&d);
    }
}

const PORCELAIN: &str = "\
1111111111111111111111111111111111111111 1 1 2
author Ann Example
author-mail <ann@x.example>
author-time 1600000000
author-tz +0000
committer Ann Example
committer-mail <ann@x.example>
committer-time 1600000000
committer-tz +0000
summary first
boundary
filename a.txt
2222222222222222222222222222222222222222 5 3 1
author B\u{f6}b
author-mail <bob@x.example>
author-time 1600000100
author-tz +0100
summary second
previous 1111111111111111111111111111111111111111 a.txt
filename a.txt
1111111111111111111111111111111111111111 3 4 1
filename a.txt
";

#[test]
fn parses_incremental_output() {
    let b = parse_for_tests(PORCELAIN.as_bytes()).expect("parses");
    assert_eq!(b.lines(), 4);
    let a = b.authors_of(1, 4);
    assert_eq!(a[0].name, "Böb");
    assert_eq!(
        (a[1].email.as_str(), a[1].lines, a[1].boundary),
        ("ann@x.example", 3, true)
    );
    assert_eq!(b.origins().len(), 2);
}

#[test]
fn rejects_broken_incremental_output() {
    assert!(parse_for_tests(b"1111 1 1 1\nfilename a\n").is_err());
    let cut = &PORCELAIN[..PORCELAIN.len() - 20];
    assert!(parse_for_tests(cut.as_bytes()).is_err());
    assert!(parse_for_tests(b"\xff\xfe 1 1 1\n").is_err());
    let gap = PORCELAIN.replace(" 3 4 1", " 3 5 1");
    assert!(parse_for_tests(gap.as_bytes()).is_err());
}
