"""Turn `tools/localaws/localaws env --format json` (stdin) into ansible-test's cloud-config-aws.ini.

ansible-test's aws cloud plugin hands every key of the ini's [default] section to the
integration targets as a variable.
"""

import json
import sys


def main():
    env = json.load(sys.stdin)
    values = {
        "aws_access_key": env["AWS_ACCESS_KEY_ID"],
        "aws_secret_key": env["AWS_SECRET_ACCESS_KEY"],
        "aws_region": env["AWS_REGION"],
        "aws_endpoint_url": env["AWS_ENDPOINT_URL"],
        "localaws_account_id": env["LOCALAWS_ACCOUNT_ID"],
        "localaws_registry_host": env["LOCALAWS_REGISTRY_HOST"],
        "localaws_ca_file": env["LOCALAWS_CA_FILE"],
    }
    # The second emulated account, for cross-account targets (cross-account grants, logins).
    if len(env.get("registries", [])) > 1:
        second = env["registries"][1]
        values["localaws_second_account_id"] = second["account"]
        values["localaws_second_registry_host"] = second["host"]
    lines = ["[default]"] + ["%s = %s" % item for item in values.items()]
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
