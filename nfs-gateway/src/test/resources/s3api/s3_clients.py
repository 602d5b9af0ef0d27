"""Lists, reads and writes a bucket through an S3 endpoint with boto3 and the AWS CLI; exits non-zero on any mismatch.

Reads come first and see exactly ALL_KEYS; writes go under cli/ and leave it empty.

Usage: s3_clients.py ENDPOINT BUCKET KEY SHA256_OF_KEY ALL_KEYS_COMMA_SEPARATED
Credentials and region come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION).
"""
import hashlib
import os
import tempfile
import subprocess
import sys
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, bucket, key, sha, all_keys = sys.argv[1:6]
expected_keys = sorted(all_keys.split(","))


def check(cond, what):
    if not cond:
        print("FAILED:", what)
        sys.exit(1)
    print("ok:", what)


s3 = boto3.client("s3", endpoint_url=endpoint,
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))

# ListObjectsV2 and ListObjects (v1), paged
v2 = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(
    Bucket=bucket, PaginationConfig={"PageSize": 2}) for o in page.get("Contents", [])]
check(v2 == expected_keys, "boto3 list_objects_v2 in pages of 2 lists every key once, in order")
v1 = [o["Key"] for page in s3.get_paginator("list_objects").paginate(
    Bucket=bucket, PaginationConfig={"PageSize": 3}) for o in page.get("Contents", [])]
check(v1 == expected_keys, "boto3 list_objects (v1) in pages of 3 lists every key once, in order")
top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
check([p["Prefix"] for p in top.get("CommonPrefixes", [])] == sorted(
    {k.split("/")[0] + "/" for k in expected_keys if "/" in k}), "boto3 delimiter listing rolls up folders")

# GET whole, ranged, presigned
body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
check(hashlib.sha256(body).hexdigest() == sha, "boto3 get_object is byte-exact")
part = s3.get_object(Bucket=bucket, Key=key, Range="bytes=1000-1048999")
check(part["Body"].read() == body[1000:1049000] and part["ContentRange"] == "bytes 1000-1048999/%d" % len(body),
      "boto3 ranged get_object is byte-exact, with its Content-Range")
url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
with urllib.request.urlopen(url) as r:
    check(hashlib.sha256(r.read()).hexdigest() == sha, "a presigned URL from boto3 reads the object")
try:
    s3.get_object(Bucket=bucket, Key="no/such/key")
    check(False, "a missing key fails")
except ClientError as e:
    check(e.response["Error"]["Code"] == "NoSuchKey", "a missing key is NoSuchKey")
# The AWS CLI: high-level ls and cp, and s3api get-object with a range
aws = ["aws", "--endpoint-url", endpoint]
ls = subprocess.run(aws + ["s3", "ls", "--recursive", "s3://%s/" % bucket], capture_output=True, text=True)
check(ls.returncode == 0, "aws s3 ls runs: " + ls.stderr)
listed = sorted(line.split(None, 3)[3] for line in ls.stdout.splitlines() if line.strip())
check(listed == expected_keys, "aws s3 ls --recursive lists every key")
cp = subprocess.run(aws + ["s3", "cp", "s3://%s/%s" % (bucket, key), "-"], capture_output=True)
check(cp.returncode == 0 and hashlib.sha256(cp.stdout).hexdigest() == sha,
      "aws s3 cp to stdout is byte-exact " + cp.stderr.decode(errors="replace"))
ranged = subprocess.run(aws + ["s3api", "get-object", "--bucket", bucket, "--key", key, "--range", "bytes=-4096",
                               "/dev/stdout"], capture_output=True)
check(ranged.returncode == 0 and ranged.stdout.startswith(body[-4096:]),
      "aws s3api get-object --range is byte-exact " + ranged.stderr.decode(errors="replace"))

# Writes with boto3: put (its ETag is the MD5), get back, copy, delete
data = os.urandom(300000)
put = s3.put_object(Bucket=bucket, Key="cli/boto3.bin", Body=data)
check(put["ETag"] == '"%s"' % hashlib.md5(data).hexdigest(), "boto3 put_object answers the MD5 as ETag")
check(s3.get_object(Bucket=bucket, Key="cli/boto3.bin")["Body"].read() == data, "boto3 reads back what it put")
s3.copy_object(Bucket=bucket, Key="cli/boto3-copy.bin", CopySource={"Bucket": bucket, "Key": "cli/boto3.bin"})
check(s3.get_object(Bucket=bucket, Key="cli/boto3-copy.bin")["Body"].read() == data, "boto3 copy_object copies")
s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "cli/boto3.bin"}, {"Key": "cli/boto3-copy.bin"}]})
check(s3.list_objects_v2(Bucket=bucket, Prefix="cli/").get("KeyCount") == 0, "boto3 delete_objects deletes both")

# The AWS CLI: a 40 MiB cp is a multipart upload (8 MiB parts); mv and rm
with tempfile.TemporaryDirectory() as tmp:
    big = os.path.join(tmp, "big.bin")
    blob = os.urandom(40 << 20)
    with open(big, "wb") as f:
        f.write(blob)
    up = subprocess.run(aws + ["s3", "cp", big, "s3://%s/cli/big.bin" % bucket], capture_output=True, text=True)
    check(up.returncode == 0, "aws s3 cp of 40 MiB (multipart) uploads: " + up.stderr)
    etag = s3.head_object(Bucket=bucket, Key="cli/big.bin")["ETag"]
    check(s3.head_object(Bucket=bucket, Key="cli/big.bin")["ContentLength"] == len(blob), "its size is right")
    down = subprocess.run(aws + ["s3", "cp", "s3://%s/cli/big.bin" % bucket, "-"], capture_output=True)
    check(down.returncode == 0 and hashlib.sha256(down.stdout).digest() == hashlib.sha256(blob).digest(),
          "aws s3 cp reads the 40 MiB object back byte-exact " + down.stderr.decode(errors="replace"))
    mv = subprocess.run(aws + ["s3", "mv", "s3://%s/cli/big.bin" % bucket, "s3://%s/cli/moved.bin" % bucket],
                        capture_output=True, text=True)
    check(mv.returncode == 0, "aws s3 mv runs: " + mv.stderr)
    names = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="cli/").get("Contents", [])]
    check(names == ["cli/moved.bin"], "after mv only the new name is listed: %s" % names)
    moved = s3.get_object(Bucket=bucket, Key="cli/moved.bin")["Body"].read()
    check(hashlib.sha256(moved).digest() == hashlib.sha256(blob).digest(), "the moved object has the same bytes")
    rm = subprocess.run(aws + ["s3", "rm", "s3://%s/cli/moved.bin" % bucket], capture_output=True, text=True)
    check(rm.returncode == 0, "aws s3 rm runs: " + rm.stderr)
    try:
        s3.head_object(Bucket=bucket, Key="cli/moved.bin")
        check(False, "a removed object is gone")
    except ClientError as e:
        check(e.response["Error"]["Code"] in ("404", "NoSuchKey"), "a removed object is gone")
print("ALL OK")
