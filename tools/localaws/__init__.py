"""localaws: a local stand-in for Amazon ECR, importable as a package.

moto in server mode (ECR, IAM, STS, Organizations) with the ECR APIs moto lacks added (`ecr_extensions`),
one TLS + basic-auth OCI registry per emulated account, and a bridge that mirrors every manifest pushed to
a registry into moto's ECR with PutImage.

    from localaws import LocalAWS, load_config
    stack = LocalAWS(load_config(os.environ))   # or LocalAWS(Config.create(home=..., moto_port=..., ...))
    stack.up(); stack.env(); stack.status(); stack.down(purge=True)

The command line (`tools/localaws/localaws up|down|env|status`) is a thin layer over this; see README.md.
"""

from .config import DUMMY_KEY, LOOPBACK, MOTO_DEFAULT_ACCOUNT, Config, LocalAWSError, load_config, registry_password
from .stack import LocalAWS, ServiceState

__all__ = [
    "DUMMY_KEY",
    "LOOPBACK",
    "MOTO_DEFAULT_ACCOUNT",
    "Config",
    "LocalAWS",
    "LocalAWSError",
    "ServiceState",
    "load_config",
    "registry_password",
]
