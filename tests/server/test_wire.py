"""Wire-level rules without a server: JSON decoding and encoding, field types, settings."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from starlette.datastructures import QueryParams

from cairn.errors import BadRequest, InvalidParameter
from cairn.server.config import DEFAULT_MAX_BODY_BYTES, ServerConfig, artifacts_destination_of, database_url
from cairn.server.fields import Fields
from cairn.server.wire import MAX_JSON_DEPTH, decode_json, encode_json


def test_responses_are_compact_json() -> None:
    assert encode_json({"a": [1, 2], "b": "x"}) == b'{"a":[1,2],"b":"x"}'


def test_non_finite_metric_values_are_encoded_as_proto3_json_strings() -> None:
    out = encode_json({"metrics": [{"value": math.nan}, {"value": math.inf}, {"value": -math.inf}, {"value": 1.0}]})
    assert out == b'{"metrics":[{"value":"NaN"},{"value":"Infinity"},{"value":"-Infinity"},{"value":1.0}]}'


def test_the_mlflow_clients_protobuf_parser_reads_non_finite_metric_values() -> None:
    from google.protobuf import json_format
    from mlflow.protos.service_pb2 import GetMetricHistory

    out = encode_json({"metrics": [{"key": "loss", "value": v, "timestamp": 1, "step": i}
                                   for i, v in enumerate([math.nan, math.inf, -math.inf, 0.5])]})
    parsed = json_format.Parse(out, GetMetricHistory.Response())
    values = [m.value for m in parsed.metrics]
    assert math.isnan(values[0]) and values[1:] == [math.inf, -math.inf, 0.5]


def test_non_finite_floats_are_quoted_at_any_depth_and_nulls_stay_null() -> None:
    payload = {"diff": {"rows": [{"a": None, "b": (math.nan, 1.0)}], "note": "null"}}
    assert encode_json(payload) == b'{"diff":{"rows":[{"a":null,"b":["NaN",1.0]}],"note":"null"}}'
    assert payload["diff"]["rows"][0]["b"][0] != payload["diff"]["rows"][0]["b"][0]  # the payload is not changed


def test_strings_containing_null_survive_the_fallback_encoder() -> None:
    assert json.loads(encode_json({"tag": "null", "u": "é"})) == {"tag": "null", "u": "é"}


def test_empty_body_reads_as_an_empty_object() -> None:
    assert decode_json(b"") == {} and decode_json(b"  \n") == {}


def test_nesting_at_the_limit_is_accepted_and_one_deeper_refused() -> None:
    def nested(depth: int) -> bytes:
        return b'{"a":' * (depth - 1) + b"{}" + b"}" * (depth - 1)

    assert decode_json(nested(MAX_JSON_DEPTH))
    with pytest.raises(BadRequest, match="nested too deeply"):
        decode_json(nested(MAX_JSON_DEPTH + 1))


def test_big_integers_and_nan_literals_reach_the_field_checks() -> None:
    data = decode_json(b'{"step": 123456789012345678901234567890, "value": NaN}')
    assert data["step"] == 123456789012345678901234567890 and math.isnan(data["value"])
    with pytest.raises(InvalidParameter, match="'step'"):
        Fields(data).int64("step")


@pytest.mark.parametrize("value", [5, 5.0, "5", "-5", "0", 2**63 - 1, str(-(2**63))])
def test_int64_accepts_numbers_and_canonical_strings(value: object) -> None:
    assert Fields({"n": value}).int64("n") == int(value)  # type: ignore[call-overload]


@pytest.mark.parametrize("value", [5.5, "5.0", "05", "+5", " 5", "1e3", "abc", True, [5], {"n": 5}, 2**63, 1e19, 2.0**60])
def test_int64_refuses_everything_else_naming_the_field(value: object) -> None:
    with pytest.raises(InvalidParameter, match="'n'"):
        Fields({"n": value}).int64("n")


def test_int32_fields_are_range_checked() -> None:
    assert Fields({"n": 2**31 - 1}).int32("n") == 2**31 - 1
    with pytest.raises(InvalidParameter, match="32-bit"):
        Fields({"n": 2**31}).int32("n")


@pytest.mark.parametrize(("value", "expected"), [(1, 1.0), (0.5, 0.5), ("2.5", 2.5), ("Infinity", math.inf)])
def test_doubles_accept_numbers_and_proto3_strings(value: object, expected: float) -> None:
    assert Fields({"v": value}).double("v") == expected


@pytest.mark.parametrize("value", ["abc", "nan", True, [1.0], {}])
def test_doubles_refuse_other_values(value: object) -> None:
    with pytest.raises(InvalidParameter, match="'v'"):
        Fields({"v": value}).double("v")


def test_enums_accept_names_and_numbers() -> None:
    statuses = ("RUNNING", "SCHEDULED", "FINISHED")
    assert Fields({"s": "FINISHED"}).enum("s", statuses) == "FINISHED"
    assert Fields({"s": 3}).enum("s", statuses) == "FINISHED"
    for bad in (0, 4, "finished", True):
        with pytest.raises(InvalidParameter):
            Fields({"s": bad}).enum("s", statuses)


def test_query_parameters_read_like_json_fields() -> None:
    fields = Fields(QueryParams("run_ids=a&run_ids=b&max_results=10&flag=true"))
    assert fields.strings("run_ids") == ["a", "b"]
    assert fields.int32("max_results") == 10 and fields.boolean("flag") is True


def test_nested_messages_name_the_full_path() -> None:
    fields = Fields({"tags": [{"key": "a", "value": "1"}, {"value": "2"}]})
    with pytest.raises(InvalidParameter, match=r"'tags\[1\]\.key'"):
        fields.key_values("tags")


def test_settings_round_trip_through_the_environment(tmp_path: Path) -> None:
    config = ServerConfig(f"sqlite:///{tmp_path}/x.db", str(tmp_path / "art"), "0.0.0.0", ("ml.example.com",),
                          ("https://ui.example.com",), 2048, 4096, allow_private_webhook_targets=True,
                          s3_endpoint_url="http://127.0.0.1:9000", s3_region="eu-west-1")
    assert ServerConfig.from_env(config.to_env()) == config
    defaults = ServerConfig.from_env({})
    assert defaults.max_body_bytes == DEFAULT_MAX_BODY_BYTES == 64 * 1024 * 1024
    assert defaults.max_artifact_bytes is None and defaults.host == "127.0.0.1"
    assert not defaults.allow_private_webhook_targets


def test_presigned_uploads_are_a_setting_of_s3_destinations_only(tmp_path: Path) -> None:
    config = ServerConfig(f"sqlite:///{tmp_path}/x.db", "s3://bucket/cairn", artifacts_presigned=True)
    assert ServerConfig.from_env(config.to_env()) == config
    assert not ServerConfig.from_env({}).artifacts_presigned
    with pytest.raises(InvalidParameter, match="--artifacts-presigned needs an S3 artifact store"):
        ServerConfig(f"sqlite:///{tmp_path}/x.db", str(tmp_path / "art"), artifacts_presigned=True)


def test_private_webhook_setting_must_be_a_clear_boolean() -> None:
    assert ServerConfig.from_env({"CAIRN_SERVER_ALLOW_PRIVATE_WEBHOOKS": "TRUE"}).allow_private_webhook_targets
    assert not ServerConfig.from_env({"CAIRN_SERVER_ALLOW_PRIVATE_WEBHOOKS": "0"}).allow_private_webhook_targets
    with pytest.raises(InvalidParameter, match="CAIRN_SERVER_ALLOW_PRIVATE_WEBHOOKS must be true or false"):
        ServerConfig.from_env({"CAIRN_SERVER_ALLOW_PRIVATE_WEBHOOKS": "maybe"})


def test_backend_store_uri_forms(tmp_path: Path) -> None:
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url(str(tmp_path / "c.db")) == f"sqlite:///{tmp_path / 'c.db'}"
    assert database_url(str(tmp_path)) == f"sqlite:///{tmp_path / 'cairn.db'}"
    assert database_url(None).endswith("/.cairn/cairn.db")


def test_artifact_destinations_are_folders_or_s3_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert artifacts_destination_of(str(tmp_path)) == str(tmp_path)
    assert artifacts_destination_of(f"file://{tmp_path}") == str(tmp_path)
    assert artifacts_destination_of("relative/art") == str(tmp_path / "relative" / "art")
    assert artifacts_destination_of(None) == str(tmp_path / ".cairn" / "artifacts")
    assert artifacts_destination_of("s3://bucket/a//prefix/") == "s3://bucket/a/prefix"
    assert artifacts_destination_of("s3://bucket") == "s3://bucket"


@pytest.mark.parametrize(
    ("destination", "problem"),
    [
        ("gs://bucket/prefix", "Unsupported artifact destination"),
        ("s3://Bad_Bucket/x", "not a valid S3 bucket name"),
        ("s3://ab/x", "not a valid S3 bucket name"),
        ("s3://bucket/../escape", "the prefix is refused"),
    ],
)
def test_unusable_artifact_destinations_are_refused(destination: str, problem: str) -> None:
    with pytest.raises(InvalidParameter, match=problem):
        artifacts_destination_of(destination)
