"""DuckLake's data files in object storage: ISOKPI_DATA_PATH=s3://bucket/prefix through DuckDB's httpfs.

The settings are read without servers; the rest runs against moto's S3 server that tests/s3.py starts on
127.0.0.1 with credential checks on, and the session's PostgreSQL for the catalog.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from isokpi import objectstore
from isokpi.db import Target, resolve_target
from isokpi.errors import IsokpiError
from isokpi.ingest import ingest_file, undo_batch
from isokpi.objectstore import S3Settings, StorageError, StorageSettingError
from isokpi.opening import open_target

from .conftest import ROOT, target_env
from .servers import SPAWN, run_processes, training_csv, upload_in_process

SETTING_NAMES = [*objectstore.VARIABLES.values()]


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    """No AWS_* or ISOKPI_S3_* setting of the machine's, and a working directory without secrets.toml."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))


# --- the path and the settings, without servers ---------------------------------------------------------


def test_an_s3_data_path_is_object_storage_never_a_local_folder_named_s3(clean_environment, tmp_path, monkeypatch):
    monkeypatch.setenv("ISOKPI_DATA_PATH", "s3://isokpi-data/lake/")
    target = resolve_target("ducklake:postgres:dbname=isokpi")
    assert (target.data_path, target.remote, target.data_dir) == (
        "s3://isokpi-data/lake",
        True,
        "s3://isokpi-data/lake",
    )
    assert list(tmp_path.iterdir()) == []  # nothing named "s3:" here, or anywhere


@pytest.mark.parametrize(
    ("data_path", "expected"),
    [
        ("gs://bucket/lake", "is neither a directory nor an s3://bucket/prefix address"),
        ("https://example.com/lake", "is neither a directory nor an s3://bucket/prefix address"),
        ("s3:/bucket/lake", "is neither a directory nor an s3://bucket/prefix address"),
        ("s3:bucket", "is neither a directory nor an s3://bucket/prefix address"),
        ("s3://Bad_Bucket/lake", "'Bad_Bucket' is not an S3 bucket name"),
        ("s3:///lake", "'' is not an S3 bucket name"),
        ("s3://bucket/../other", "the prefix after the bucket is not a plain path"),
    ],
)
def test_other_addresses_and_malformed_s3_paths_are_refused_by_name(
    clean_environment, monkeypatch, data_path, expected
):
    monkeypatch.setenv("ISOKPI_DATA_PATH", data_path)
    with pytest.raises(StorageSettingError) as refused:
        resolve_target("ducklake:postgres:dbname=isokpi")
    assert expected in str(refused.value) and repr(data_path) in str(refused.value)
    assert refused.value.exit_code == 2


def test_settings_come_from_the_environment_else_the_secrets_section():
    section = {"key_id": "FILEKEY", "secret": "file-secret", "region": "eu-west-1", "endpoint_url": "http://minio:9000"}
    from_file = S3Settings.load(environ={}, section=section)
    assert (from_file.key_id, from_file.secret, from_file.region) == ("FILEKEY", "file-secret", "eu-west-1")
    assert (from_file.endpoint, from_file.use_ssl, from_file.url_style) == ("minio:9000", False, "path")
    environ = {"AWS_REGION": "eu-central-1", "ISOKPI_S3_URL_STYLE": "vhost"}
    mixed = S3Settings.load(environ=environ, section=section)
    assert (mixed.region, mixed.url_style, mixed.key_id) == ("eu-central-1", "vhost", "FILEKEY")
    aws = S3Settings.load(environ={"AWS_ACCESS_KEY_ID": "K", "AWS_SECRET_ACCESS_KEY": "S"}, section={})
    assert (aws.endpoint, aws.use_ssl, aws.url_style, aws.where) == (None, True, "vhost", "AWS S3 (region us-east-1)")
    assert S3Settings.load(environ={"AWS_ENDPOINT_URL": "s3.example.com"}, section={}).use_ssl is True


def test_the_secrets_file_section_is_read_from_the_working_directory(clean_environment, tmp_path):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        '[isokpi.s3]\nkey_id = "FILEKEY"\nsecret = "file-secret"\nendpoint_url = "http://127.0.0.1:9000"\n'
    )
    settings = S3Settings.load()
    assert (settings.key_id, settings.endpoint) == ("FILEKEY", "127.0.0.1:9000")


@pytest.mark.parametrize(
    ("environ", "section", "expected"),
    [
        ({"ISOKPI_S3_URL_STYLE": "virtual"}, {}, "ISOKPI_S3_URL_STYLE='virtual': use path or vhost"),
        ({"AWS_ACCESS_KEY_ID": "K"}, {}, "go together"),
        ({"AWS_ENDPOINT_URL": "ftp://store"}, {}, "AWS_ENDPOINT_URL='ftp://store' is not an address"),
        ({}, {"secret_key": "x"}, "[isokpi.s3] has unknown keys secret_key"),
        ({}, {"region": 7}, "must be text"),
    ],
)
def test_malformed_settings_are_refused_with_what_to_write(environ, section, expected):
    with pytest.raises(StorageSettingError, match=None) as refused:
        S3Settings.load(environ=environ, section=section)
    assert expected in str(refused.value)


def test_the_credentials_stay_out_of_repr_and_quotes_are_only_text():
    settings = S3Settings.load(
        environ={"AWS_ACCESS_KEY_ID": "AKIDSECRETKEY", "AWS_SECRET_ACCESS_KEY": "it's-s3cret", "AWS_REGION": "x'y"},
        section={},
    )
    assert "AKIDSECRETKEY" not in repr(settings) and "s3cret" not in repr(settings)
    sql = settings.create_secret_sql("s3://bucket/o'brien/")
    assert "SECRET 'it''s-s3cret'" in sql and "REGION 'x''y'" in sql and "SCOPE 's3://bucket/o''brien/'" in sql


# --- against the object store ----------------------------------------------------------------------------


def on_object_storage(test):
    """A test of DuckLake (the session's PostgreSQL) with its data files in moto's S3: marked for -m ducklake / s3."""
    return pytest.mark.ducklake(pytest.mark.s3(test))


@pytest.fixture
def lake(request, s3_bucket):
    """A new catalog on the session's PostgreSQL with its data files in a new bucket: (Target, bucket)."""
    server, reason = request.getfixturevalue("pg_server")
    if server is None:
        pytest.skip(f"DuckLake backend not tested: {reason}")
    dsn = server.create_database()
    yield Target("ducklake", "postgres:" + dsn, f"s3://{s3_bucket}/lake"), s3_bucket
    server.drop_database(dsn)


def run_cli(*args: str, env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "isokpi", *args],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )


# 40 rows: more than DuckLake keeps inlined in its catalog, so they make a Parquet file.
TRAINING = "record_id,employee_id,department,site,course,hours,status,due_date,completed_on\n" + "".join(
    f"T{i},E{i},Production,Leeds,Induction,{1 + i % 3},completed,2025-01-31,2025-01-10\n" for i in range(40)
)


@on_object_storage
def test_the_data_files_land_in_the_bucket_and_undo_restores(lake, s3_store, write):
    target, bucket = lake
    store, _ = s3_store
    database = open_target(target)
    loaded = ingest_file(database, "training", write("training.csv", TRAINING))
    assert (loaded.inserted, database.query("SELECT sum(hours) FROM training")) == (40, [(79.0,)])
    files = database.query("SELECT data_file FROM ducklake_list_files('isokpi', 'training_versions')")
    assert files and all(path.startswith(f"s3://{bucket}/lake/main/training_versions/") for (path,) in files)
    assert {f"lake/{path.split('/lake/', 1)[1]}" for (path,) in files} <= set(store.keys(bucket))
    undo_batch(database, loaded.batch_id)
    assert database.query("SELECT count(*) FROM training") == [(0,)]
    # The locked-down connection reaches its own prefix only, not the rest of the bucket or another one.
    other = store.create_bucket()
    store.client().put_object(Bucket=other, Key="x.csv", Body=b"a\n1\n")
    store.client().put_object(Bucket=bucket, Key="elsewhere/x.csv", Body=b"a\n1\n")
    for url in (f"s3://{other}/x.csv", f"s3://{bucket}/elsewhere/x.csv"):
        with pytest.raises(duckdb.PermissionException):
            database.query(f"SELECT * FROM read_csv('{url}')")
    database.close()


@on_object_storage
def test_init_checks_the_bucket_and_says_plainly_what_is_wrong(lake, s3_store, tmp_path):
    target, bucket = lake
    store, _ = s3_store
    env = target_env(target)
    done = run_cli("init", env=env)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("database ready: DuckLake postgres:dbname=")
    assert done.stdout.rstrip().endswith(
        f"; data files in s3://{bucket}/lake, which this machine can write and read back"
    )
    assert "lake/isokpi-write-check.csv" in store.keys(bucket)

    missing = run_cli("init", env={**env, "ISOKPI_DATA_PATH": "s3://no-such-bucket-here/lake"})
    assert missing.returncode == 1
    assert f"the bucket 'no-such-bucket-here' does not exist at {store.endpoint_url}" in missing.stderr
    assert missing.stdout == ""

    wrong_secret = "wrong-" + store.secret[::-1]
    refused = run_cli("init", env={**env, "AWS_SECRET_ACCESS_KEY": wrong_secret})
    assert refused.returncode == 1
    assert f"{store.endpoint_url} refused the credentials for the bucket '{bucket}'" in refused.stderr
    unknown_key = run_cli("init", env={**env, "AWS_ACCESS_KEY_ID": "AKIANOSUCHKEY0000000"})
    assert unknown_key.returncode == 1 and "refused the credentials" in unknown_key.stderr

    unreachable = run_cli("init", env={**env, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert unreachable.returncode == 1
    assert "cannot reach the object store at http://127.0.0.1:9: check AWS_ENDPOINT_URL" in unreachable.stderr

    bad_style = run_cli("init", env={**env, "ISOKPI_S3_URL_STYLE": "sideways"})
    assert (bad_style.returncode, bad_style.stderr.strip()) == (
        2,
        "isokpi: ISOKPI_S3_URL_STYLE='sideways': use path or vhost",
    )
    # No message ever shows a credential, right or wrong.
    for result in (done, missing, refused, unknown_key, unreachable, bad_style):
        shown = result.stdout + result.stderr
        assert store.secret not in shown and wrong_secret not in shown and store.key_id not in shown
    assert not (ROOT / "s3:").exists()


@on_object_storage
def test_the_secrets_section_alone_reaches_the_store(lake, s3_store, tmp_path):
    target, _ = lake
    store, _ = s3_store
    (tmp_path / ".streamlit").mkdir()
    lines = [f'{key} = "{value}"' for key, value in zip(
        ("key_id", "secret", "region", "endpoint_url", "url_style"), store.environ().values(), strict=True
    )]  # fmt: skip
    (tmp_path / ".streamlit" / "secrets.toml").write_text("[isokpi.s3]\n" + "\n".join(lines) + "\n")
    env = {name: value for name, value in target_env(target).items() if name not in SETTING_NAMES}
    done = run_cli("init", env={**env, "HOME": str(tmp_path)}, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")


@on_object_storage
def test_no_log_line_or_message_holds_the_secret(lake, s3_store, monkeypatch, caplog):
    target, _ = lake
    store, _ = s3_store
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-" + store.secret)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(StorageError) as refused:
        open_target(target)
    assert "refused the credentials" in str(refused.value)
    assert store.secret not in str(refused.value) and store.secret not in caplog.text
    assert store.key_id not in str(refused.value) and store.key_id not in caplog.text


@on_object_storage
def test_the_same_file_from_4_processes_lands_once_in_object_storage(lake, tmp_path):
    target, _ = lake
    open_target(target).close()  # the catalog exists, as once the first server has started
    env = target_env(target)
    same = training_csv(tmp_path / "same.csv", "ALL", 1200)
    barrier, results = SPAWN.Barrier(4), SPAWN.Queue()
    processes = [
        SPAWN.Process(target=upload_in_process, args=(env, str(same), f"server{i}", barrier, results)) for i in range(4)
    ]
    outcomes = run_processes(processes, results, len(processes))
    assert [kind for kind, _ in outcomes] == ["ok"] * 4, [detail for kind, detail in outcomes if kind != "ok"]
    loads = [detail for _, detail in outcomes]
    assert [load["counts"] for load in loads if load["batch_id"] is not None] == [(1200, 0, 0)]
    assert sorted(load["counts"] for load in loads if load["batch_id"] is None) == [(0, 0, 1200)] * 3
    database = open_target(target)
    assert database.query("SELECT count(*), count(DISTINCT _batch_id) FROM training_versions") == [(1200, 1)]
    assert database.query("SELECT count(*) FROM batches") == [(1,)]
    database.close()


@on_object_storage
def test_a_catalog_server_that_refuses_the_connection_is_named_as_the_catalog_not_the_store(s3_bucket):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dsn = f"host=127.0.0.1 port={port} dbname=isokpi user=postgres connect_timeout=5"
    with pytest.raises(IsokpiError) as refused:
        open_target(Target("ducklake", "postgres:" + dsn, f"s3://{s3_bucket}/lake"))
    message = str(refused.value)
    assert message.startswith(f"cannot open the DuckLake catalog postgres:{dsn}: ")
    assert "object store" not in message and "AWS_ENDPOINT_URL" not in message


@pytest.mark.parametrize(
    "setting",
    [
        {"ISOKPI_DATA_PATH": "s3://AKIAEXAMPLE:wJalrSECRET@my-bucket/lake"},
        {"ISOKPI_DATA_PATH": "https://AKIAEXAMPLE:wJalrSECRET@store.example.com/lake"},
        {"AWS_ENDPOINT_URL": "http://AKIAEXAMPLE:wJalrSECRET@minio:9000"},
    ],
)
def test_credentials_written_into_an_address_never_reach_the_message(setting, clean_environment, monkeypatch):
    for name, value in setting.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(StorageSettingError) as refused:
        if "ISOKPI_DATA_PATH" in setting:
            objectstore.normalized_url(setting["ISOKPI_DATA_PATH"])
        else:
            S3Settings.load()
    assert "wJalrSECRET" not in str(refused.value) and "AKIAEXAMPLE" not in str(refused.value)
    assert "***@" in str(refused.value)
