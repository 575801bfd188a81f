//! The `quire` command line: `check` exit codes and messages, config errors.

mod common;

use std::process::Command;

fn quire(args: &[&str], cwd: &std::path::Path) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(args)
        .current_dir(cwd)
        .env_remove("QUIRE_CONTENT")
        .env_remove("QUIRE_BIND")
        .output()
        .expect("run quire");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn check_passes_on_the_sample_content_without_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let content = common::sample_content();
    let (code, stdout, _) = quire(&["check", content.to_str().expect("utf-8 path")], dir.path());
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("0 error(s), 0 warning(s)"), "{stdout}");
}

#[test]
fn check_fails_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("ok.md"), "---\ntitle: OK\nreviewed: 2001-01-01\n---\n[broken](nowhere.md)\n")
        .expect("write");
    std::fs::write(dir.path().join("bad.md"), "---\ntitle: Bad\norder: first\n---\n").expect("write");
    let (code, stdout, _) = quire(&["check", "."], dir.path());
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("error: ./bad.md:3: invalid front matter: order: invalid type"), "{stdout}");
    assert!(stdout.contains("error: ./ok.md:5: broken link `nowhere.md`"), "{stdout}");
    assert!(stdout.contains("warning: ./ok.md:3: last reviewed"), "{stdout}");
    assert!(stdout.contains("2 error(s), 1 warning(s)"), "{stdout}");
}

#[test]
fn warnings_alone_do_not_fail() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("old.md"), "---\ntitle: Old\nreviewed: 2001-01-01\n---\nText\n").expect("write");
    let (code, stdout, _) = quire(&["check", "."], dir.path());
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn unknown_config_keys_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("quire.toml"), "bind = \"127.0.0.1:0\"\n[site]\ntitel = \"typo\"\n").expect("write");
    let (code, _, stderr) = quire(&["check", "."], dir.path());
    assert_eq!(code, 2);
    assert!(stderr.contains("invalid config file quire.toml") && stderr.contains("titel"), "{stderr}");
}

#[test]
fn missing_content_folder_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, stdout, _) = quire(&["check", "does-not-exist"], dir.path());
    assert_eq!(code, 1);
    assert!(stdout.contains("does not exist"), "{stdout}");
}

#[test]
fn environment_overrides_the_config_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("from-file")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("from-env")).expect("mkdir");
    std::fs::write(dir.path().join("from-env/only-here.md"), "---\ntitle: Env\n---\n").expect("write");
    std::fs::write(dir.path().join("quire.toml"), "content = \"from-file\"\n").expect("write");
    let run = |env: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_quire"));
        command.arg("check").current_dir(dir.path()).env_remove("QUIRE_CONTENT");
        if let Some(value) = env {
            command.env("QUIRE_CONTENT", value);
        }
        String::from_utf8_lossy(&command.output().expect("run").stdout).into_owned()
    };
    assert!(run(None).contains("checked 0 articles"), "the file's folder is used");
    assert!(run(Some("from-env")).contains("checked 1 articles"), "the environment wins over the file");
}

#[test]
fn server_shuts_down_gracefully_on_sigterm_and_sigint() {
    // Sent right after the ready line, which is the hardest moment.
    for signal in ["-TERM", "-INT"] {
        let server = common::Server::start(&common::sample_content());
        let pid = server.pid();
        let status = Command::new("kill").args([signal, &pid.to_string()]).status().expect("kill");
        assert!(status.success());
        let exit = server.wait_for_exit(std::time::Duration::from_secs(10)).expect("exits within 10 s");
        assert!(exit.success(), "clean exit status after {signal}: {exit:?}");
    }
}

#[test]
fn check_validates_synonyms_and_best_bets() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("refunds.md"), "---\ntitle: Refunds\n---\nMoney back.\n").expect("write");
    std::fs::write(dir.path().join("synonyms.txt"), "refund = money back\n= nothing on the left\n").expect("write");
    std::fs::write(
        dir.path().join("best-bets.toml"),
        "[[bet]]\nqueries = [\"refund\"]\narticles = [\"refunds\", \"no-such-article\"]\n",
    )
    .expect("write");
    let (code, stdout, _) = quire(&["check", "."], dir.path());
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("error: ./synonyms.txt:2: a synonym line needs words on both sides of `=`"), "{stdout}");
    assert!(
        stdout
            .contains("error: ./best-bets.toml:3: best bet article `no-such-article` is not a published article slug"),
        "{stdout}"
    );
}

#[tokio::test]
async fn export_writes_the_site_exactly_as_served() {
    let base_url = "https://help.example.test";
    let server = common::Server::start_with(&common::sample_content(), &["--base-url", base_url]);
    let out = tempfile::tempdir().expect("tempdir");
    let target = out.path().join("site");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["export", "--content"])
        .arg(common::sample_content())
        .args(["--base-url", base_url, "--data"])
        .arg(out.path().join("data"))
        .arg(&target)
        .current_dir(out.path())
        .output()
        .expect("run export");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("exported "));
    let client = common::raw_client();
    for (url, file) in [
        ("/", "index.html"),
        ("/categories/writing-articles", "categories/writing-articles.html"),
        ("/articles/configure-quire", "articles/configure-quire.html"),
        ("/articles/configure-quire.md", "articles/configure-quire.md"),
        ("/faq/quire", "faq/quire.html"),
        ("/sitemap.xml", "sitemap.xml"),
        ("/llms.txt", "llms.txt"),
    ] {
        let served = client.get(server.url(url)).send().await.expect("get").bytes().await.expect("body");
        let exported = std::fs::read(target.join(file)).unwrap_or_else(|_| panic!("{file} exported"));
        assert!(served == exported, "{url} differs from {file}");
        assert!(target.join(format!("{file}.gz")).is_file() && target.join(format!("{file}.br")).is_file());
    }
    let home = std::fs::read_to_string(target.join("index.html")).expect("home");
    let stylesheet = home.split("href=\"/static/").nth(1).and_then(|s| s.split('"').next()).expect("css link");
    assert!(target.join("static").join(stylesheet).is_file(), "assets are exported under their hashed names");
    assert!(target.join("404.html").is_file());
    assert!(!out.path().join("data").exists() || !out.path().join("data/quire.db").exists(), "no database written");

    let again = std::process::Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["export", "--content"])
        .arg(common::sample_content())
        .arg(&target)
        .current_dir(out.path())
        .output()
        .expect("run export");
    assert!(!again.status.success(), "refuses a non-empty folder");
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
}

#[test]
fn an_unknown_time_zone_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("quire.toml"), "[site]\ntime_zone = \"Mars/Olympus\"\n").expect("config");
    let content = common::sample_content();
    let (code, _, stderr) = quire(
        &["serve", "--bind", "127.0.0.1:0", "--content", content.to_str().expect("utf-8"), "--data", "data"],
        dir.path(),
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("site.time_zone: `Mars/Olympus` is not an IANA time zone name"), "{stderr}");
}
