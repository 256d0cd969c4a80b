#!/usr/bin/env python3
"""Writes crates/necid-server/openapi.json, the OpenAPI 3 document of the local NEC ID service.

The document is generated so that every route lists every status it can answer (schemathesis
checks responses against it). Run it after changing a route:  python3 scripts/compat/make_openapi.py
"""
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "necid-server" / "openapi.json"


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def obj(props, required=(), extra=False):
    o = {"type": "object", "properties": props}
    if required:
        o["required"] = list(required)
    if not extra:
        o["additionalProperties"] = True
    return o


NUMSTR = {"type": "string", "pattern": r"^-?[0-9.eE+\-]+$"}
RECT = obj({k: NUMSTR for k in ("left", "top", "right", "bottom")}, ("left", "top", "right", "bottom"))
POINT = obj({k: NUMSTR for k in ("x", "y")}, ("x", "y"))
ATTR_NUMS = ("frontalFaceScore", "faceRoll", "facePan", "faceTilt", "faceScore", "faceQualityScore")
ATTRS = obj(
    dict(
        faceArea=ref("Rect"),
        headArea=ref("Rect"),
        rightEyeCenter=ref("Point"),
        leftEyeCenter=ref("Point"),
        **{k: NUMSTR for k in ATTR_NUMS},
    ),
    ("faceArea", "headArea", "rightEyeCenter", "leftEyeCenter") + ATTR_NUMS,
)
SCORE = {"type": "integer", "minimum": 0, "maximum": 9999}
IMAGE = {"type": "string", "description": "Base64-encoded image (JPEG, PNG, GIF, WebP, BMP or TIFF)."}
TAGS = {
    "type": "array",
    "maxItems": 64,
    "items": {"type": "string"},
    "description": "A gallery holds at most 64 tags.",
}

SCHEMAS = {
    "Rect": RECT,
    "Point": POINT,
    "FaceAttributes": ATTRS,
    "Error": obj(
        {
            "message": {"type": "string"},
            "errorCode": {"type": "integer", "enum": [1001, 1002, 1003, 2001, 2002, 2003]},
            "errorType": {
                "type": "string",
                "enum": ["InvalidRequest", "Duplicate", "Timeout", "NoFace", "PoorQuality", "MultipleFaces"],
            },
        },
        ("message", "errorCode", "errorType"),
    ),
    "Message": obj({"message": {"type": "string"}}, ("message",)),
    "FaceEnrolment": obj({"face": IMAGE, "tags": TAGS}, ("face",)),
    "Enrolment": obj({"id": {"type": "string"}, "eventId": {"type": "string"}, "attributes": ref("FaceAttributes")},
                     ("id", "eventId", "attributes")),
    "SubjectPage": obj(
        {
            "subjects": {
                "type": "array",
                "items": obj(
                    {
                        "id": {"type": "string"},
                        "eventId": {"type": "string"},
                        "status": {"type": "string", "enum": ["ACTIVE", "DELETED"]},
                        "lastUpdated": {"type": "string"},
                    },
                    ("id", "eventId", "status", "lastUpdated"),
                ),
            },
            "total": {"type": "integer", "minimum": 0},
        },
        ("subjects", "total"),
    ),
    "SubjectEvents": obj(
        {"id": {"type": "string"}, "events": {"type": "array", "items": obj({"id": {"type": "string"}}, ("id",))}},
        ("id", "events"),
    ),
    "ExtractRequest": obj({"faces": IMAGE}, ("faces",)),
    "ExtractResponse": obj(
        {"faces": {"type": "array", "maxItems": 20, "items": ref("ExtractedFace")}},
        ("faces",),
    ),
    "ExtractedFace": obj(
        {
            "attributes": ref("FaceAttributes"),
            "landmarks": {
                "type": "array",
                "minItems": 68,
                "maxItems": 68,
                "items": ref("Landmark"),
                "description": "Local extension, only with ?landmarks=68: the face's 68 landmarks "
                "(iBUG 300-W order). Absent otherwise, as in the NEC response.",
            },
        },
        ("attributes",),
    ),
    "Landmark": obj(
        {"x": {"type": "number"}, "y": {"type": "number"}},
        ("x", "y"),
    ),
    "SearchRequest": obj(
        {"probe": IMAGE, "threshold": dict(SCORE, default=7000), "limit": {"type": "integer", "minimum": 1, "maximum": 50}, "tags": TAGS},
        ("probe",),
    ),
    "SearchResponse": obj(
        {
            "candidates": {
                "type": "array",
                "items": obj(
                    {
                        "id": {"type": "string"},
                        "score": SCORE,
                        "events": {"type": "array", "items": obj({"id": {"type": "string"}, "score": SCORE}, ("id", "score"))},
                    },
                    ("id", "score", "events"),
                ),
            },
            "attributes": ref("FaceAttributes"),
        },
        ("candidates", "attributes"),
    ),
    "VerifyRequest": obj(
        {"probe": IMAGE, "id": {"type": "string", "description": "Subject id (Verify Subject)."},
         "face": {**IMAGE, "description": "Second image (Verify Face, 2020 revision)."}},
        ("probe",),
    ),
    "VerifyResponse": obj({"id": {"type": "string"}, "score": SCORE}, ("score",)),
    "RenameTag": obj({"newName": {"type": "string", "minLength": 1}}, ("newName",)),
    "BulkRegisterRequest": obj(
        {"registrations": {"type": "array", "minItems": 1,
                           "items": obj({"filename": {"type": "string", "minLength": 1}, "tags": TAGS}, ("filename",))}},
        ("registrations",),
    ),
    "BulkRegisterResponse": obj({"batchId": {"type": "string"}}, ("batchId",)),
    "BulkProgress": obj(
        {
            "batchId": {"type": "string"},
            "processed": {
                "type": "array",
                "maxItems": 1000,
                "items": obj(
                    {
                        "id": {"type": "string"},
                        "filename": {"type": "string"},
                        "attempts": {"type": "string"},
                        "eventId": {"type": "string"},
                        "subjectId": {"type": "string"},
                        "registerStatus": {"type": "string", "enum": ["Success", "Failed"]},
                        "reason": {"type": "string"},
                        "status": {"type": "string", "enum": ["New", "Processed"]},
                        "attributesJson": {"type": "string", "description": "Face attributes as a JSON document in a string."},
                    },
                    ("id", "filename", "attempts", "status"),
                ),
            },
            "lastEvaluatedKey": {"type": "string"},
        },
        ("batchId", "processed", "lastEvaluatedKey"),
    ),
    "Health": obj({"status": {"type": "string"}}, ("status",)),
    "GallerySummary": obj(
        {"id": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"},
         "size": {"type": "integer"}, "count": {"type": "integer"}},
        ("id", "name", "description", "size", "count"),
    ),
    "GalleryList": obj({"galleries": {"type": "array", "items": ref("GallerySummary")}}, ("galleries",)),
    "ApplicationSummary": obj({"id": {"type": "string"}, "name": {"type": "string"}, "apiKey": {"type": "string"}},
                              ("id", "name", "apiKey")),
    "GalleryDetail": obj(
        {"id": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"},
         "size": {"type": "integer"}, "count": {"type": "integer"},
         "applications": {"type": "array", "items": ref("ApplicationSummary")}},
        ("id", "name", "size", "count", "applications"),
    ),
    "CreateGallery": obj(
        {"name": {"type": "string", "minLength": 1, "maxLength": 128}, "description": {"type": "string", "maxLength": 1024},
         "faceMinimumQualityScore": {"type": "number", "minimum": 0.45, "maximum": 1},
         "size": {"type": "integer", "minimum": 1, "maximum": 10000000}},
        ("name", "faceMinimumQualityScore", "size"),
    ),
    "CreatedGallery": obj(
        {"id": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"},
         "size": {"type": "integer"}, "apiKey": {"type": "string", "minLength": 32}},
        ("id", "name", "size", "apiKey"),
    ),
    "UpdateGallery": obj({"name": {"type": "string"}, "description": {"type": "string"}, "size": {"type": "integer"}}),
    "UpdatedGallery": obj(
        {"id": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"}, "size": {"type": "integer"}},
        ("id", "name", "size"),
    ),
    "ApplicationList": obj({"applications": {"type": "array", "items": ref("ApplicationSummary")}}, ("applications",)),
    "Application": obj(
        {"id": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"},
         "apiKey": {"type": "string"}, "faceMinimumQualityScore": {"type": "number"}, "galleryId": {"type": "string"}},
        ("id", "name", "apiKey", "faceMinimumQualityScore"),
    ),
    "CreateApplication": obj(
        {"name": {"type": "string", "minLength": 1}, "description": {"type": "string"},
         "faceMinimumQualityScore": {"type": "number", "minimum": 0.45, "maximum": 1}, "galleryId": {"type": "string"}},
        ("name", "faceMinimumQualityScore", "galleryId"),
    ),
    "UpdateApplication": obj({"name": {"type": "string"}, "description": {"type": "string"},
                              "faceMinimumQualityScore": {"type": "number"}}),
}


def json_body(schema):
    return {"required": True, "content": {"application/json": {"schema": ref(schema)}}}


def resp(desc, schema=None):
    r = {"description": desc}
    if schema:
        r["content"] = {"application/json": {"schema": ref(schema) if isinstance(schema, str) else schema}}
    return r


ERRORS = {
    "400": resp("Invalid request (errorCode and errorType as in the reference).", "Error"),
    "403": resp("Missing or invalid signature, or missing or unknown x-api-key.", "Message"),
    "404": resp("Not found.", "Message"),
    "405": resp("Method not allowed.", "Message"),
    "500": resp("Server error.", "Error"),
}


def op(summary, ok_status, ok, body=None, scoped=True, params=(), query=()):
    o = {"summary": summary, "responses": {ok_status: ok, **ERRORS}}
    o["security"] = [{"sigv4": [], "api_key": []}] if scoped else [{"sigv4": []}]
    if body:
        o["requestBody"] = json_body(body)
    ps = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params]
    ps += list(query)
    if ps:
        o["parameters"] = ps
    return o


def with_options(path, ops):
    names = re.findall(r"{(\w+)}", path)
    if names:
        ops["parameters"] = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names]
        for o in ops.values():
            if isinstance(o, dict):
                o["parameters"] = [p for p in o.get("parameters", []) if p["in"] != "path"]
                if not o["parameters"]:
                    del o["parameters"]
    ops["options"] = {
        "summary": "CORS preflight",
        "security": [],
        "responses": {"200": {"description": "CORS headers"}},
    }
    return ops


LIST_QUERY = [
    {"name": "start", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0}},
    {"name": "length", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
    {"name": "dir", "in": "query", "required": False, "schema": {"type": "string", "enum": ["asc", "desc"]}},
]

# A local extension (docs/api.md): the NEC API has no query on Extract.
EXTRACT_QUERY = [
    {
        "name": "landmarks",
        "in": "query",
        "required": False,
        "description": "Local extension: 68 adds each face's 68 landmarks (image pixels, JSON numbers) "
        "beside its attributes. Any other value is a 400 InvalidRequest; the NEC cloud does not offer it.",
        "schema": {"type": "integer", "enum": [68]},
    },
]

PATHS = {
    "/v1.1/subjects": {
        "get": op("List Subjects", "200", resp("OK", "SubjectPage"), query=LIST_QUERY),
        "post": op("Register Subject", "201", resp("Created", "Enrolment"), "FaceEnrolment"),
    },
    "/v1.1/subjects/{subjectId}": {
        "put": op("Update Subject", "200", resp("Updated", "Enrolment"), "FaceEnrolment", params=["subjectId"]),
        "delete": op("Unregister Subject", "204", resp("Unregistered"), params=["subjectId"]),
    },
    "/v1.1/subjects/{subjectId}/events": {
        "get": op("List Events", "200", resp("OK", "SubjectEvents"), params=["subjectId"]),
        "post": op("Register Event", "201", resp("Created", "Enrolment"), "FaceEnrolment", params=["subjectId"]),
    },
    "/v1.1/subjects/{subjectId}/events/{eventId}": {
        "put": op("Update Event", "200", resp("Updated", "Enrolment"), "FaceEnrolment", params=["subjectId", "eventId"]),
        "delete": op("Unregister Event", "204", resp("Unregistered"), params=["subjectId", "eventId"]),
    },
    "/v1.1/face/extract": {
        "post": op("Extract", "200", resp("Faces", "ExtractResponse"), "ExtractRequest", scoped=False,
                   query=EXTRACT_QUERY)
    },
    "/v1.1/face/search": {"post": op("Search", "200", resp("Candidates", "SearchResponse"), "SearchRequest")},
    "/v1.1/face/verify": {
        "post": op("Verify Subject (id + probe, needs x-api-key) or Verify Face (face + probe)", "200",
                   resp("Verified", "VerifyResponse"), "VerifyRequest", scoped=False)
    },
    "/v1.1/tags": {"get": op("List Tags", "200", resp("Tag names", {"type": "array", "items": {"type": "string"}}))},
    "/v1.1/tags/{name}": {
        "post": op("Create Tag", "200", resp("Created"), params=["name"]),
        "put": op("Rename Tag", "200", resp("Renamed"), "RenameTag", params=["name"]),
        "delete": op("Delete Tag", "200", resp("Deleted"), params=["name"]),
    },
    "/v1.1/jobs/bulkregister": {
        "post": op("Bulk Register", "200", resp("Job created", "BulkRegisterResponse"), "BulkRegisterRequest")
    },
    "/v1.1/jobs/bulkregister/{batchId}": {
        "get": op("Bulk Register Progress (first page)", "200", resp("Progress", "BulkProgress"), params=["batchId"])
    },
    "/v1.1/jobs/bulkregister/{batchId}/{pagingId}": {
        "get": op("Bulk Register Progress", "200", resp("Progress", "BulkProgress"), params=["batchId", "pagingId"])
    },
    "/v1.1/health": {"get": {"summary": "Health", "security": [], "responses": {"200": resp("OK", "Health")}}},
    "/api/galleries": {
        "get": op("List Galleries", "200", resp("OK", "GalleryList"), scoped=False),
        "post": op("Create Gallery", "200", resp("Created", "CreatedGallery"), "CreateGallery", scoped=False),
    },
    "/api/galleries/{galleryId}": {
        "get": op("Get Gallery", "200", resp("OK", "GalleryDetail"), scoped=False, params=["galleryId"]),
        "patch": op("Update Gallery", "200", resp("Updated", "UpdatedGallery"), "UpdateGallery", scoped=False,
                    params=["galleryId"]),
        "delete": op("Delete Gallery", "204", resp("Deleted"), scoped=False, params=["galleryId"]),
    },
    "/api/applications": {
        "get": op("List Applications", "200", resp("OK", "ApplicationList"), scoped=False),
        "post": op("Create Application", "200", resp("Created", "Application"), "CreateApplication", scoped=False),
    },
    "/api/applications/{applicationId}": {
        "get": op("Get Application", "200", resp("OK", "Application"), scoped=False, params=["applicationId"]),
        "patch": op("Update Application", "200", resp("Updated", "Application"), "UpdateApplication", scoped=False,
                    params=["applicationId"]),
        "delete": op("Delete Application", "204", resp("Deleted"), scoped=False, params=["applicationId"]),
    },
}

DOC = {
    "openapi": "3.0.3",
    "info": {
        "title": "NEC ID local service",
        "version": "1.1",
        "description": "The NEC ID API (release 1.1 and its 2020 revision) as the local service implements it. "
        "Every request but health and this document is signed with AWS SigV4 (region ap-southeast-2, "
        "service execute-api); gallery-scoped routes also need x-api-key. See docs/api.md.",
    },
    "servers": [{"url": "/"}],
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {
            "sigv4": {"type": "apiKey", "in": "header", "name": "Authorization",
                      "description": "AWS Signature Version 4 (with x-amz-date)."},
            "api_key": {"type": "apiKey", "in": "header", "name": "x-api-key"},
        },
    },
    "paths": {p: with_options(p, ops) for p, ops in PATHS.items()},
}
DOC["paths"]["/openapi.json"] = with_options("/openapi.json", {"get": {"summary": "This document", "security": [],
                                         "responses": {"200": {"description": "OpenAPI 3 document",
                                                               "content": {"application/json": {"schema": {"type": "object"}}}}}}})

OUT.write_text(json.dumps(DOC, indent=2) + "\n")
print(f"wrote {OUT}")
