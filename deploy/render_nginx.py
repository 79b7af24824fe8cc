"""Write nginx's configuration for this deployment from deploy/nginx.conf.template.

    python deploy/render_nginx.py --listen 80 --app 10.0.0.11:8000 --app 10.0.0.12:8000 \\
        --run-dir /run/mash-nginx --log-dir /var/log/mash-nginx > /etc/nginx/mash.conf
    nginx -c /etc/nginx/mash.conf

One `--app` per app server (gunicorn -c deploy/gunicorn.conf.py). `--max-body` is the API's
MAX_CONTENT_LENGTH (bytes). `--user` names the user nginx's workers run as when started as root.
"""

import argparse
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf.template")


def render(*, listen, apps, run_dir, log_dir, max_body=256 * 1024, user=None):
    upstreams = "\n".join(f"        server {app} max_fails=1 fail_timeout=5s;" for app in apps)
    values = {"LISTEN": str(listen), "UPSTREAMS": upstreams, "RUN_DIR": str(run_dir),
              "LOG_DIR": str(log_dir), "MAX_BODY": str(max_body),
              "USER": f"user {user};" if user else ""}
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace(f"@@{name}@@", value)
    if "@@" in text:
        raise ValueError("a value of the template was left unfilled")
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", required=True, help="port (or address:port) to listen on")
    parser.add_argument("--app", action="append", required=True, help="an app server host:port")
    parser.add_argument("--run-dir", required=True, help="nginx's pid file and temporary files")
    parser.add_argument("--log-dir", required=True)
    parser.add_argument("--max-body", type=int, default=256 * 1024)
    parser.add_argument("--user", help="the user nginx's workers run as (when started as root)")
    args = parser.parse_args()
    print(render(listen=args.listen, apps=args.app, run_dir=args.run_dir, log_dir=args.log_dir,
                 max_body=args.max_body, user=args.user), end="")


if __name__ == "__main__":
    main()
