#!/bin/sh
# Vault's Kubernetes auth for {{PROJECT_NAME}}: run by the vault-k8s-auth Job.
set -eu
until vault status >/dev/null 2>&1; do sleep 2; done
vault auth list | grep -q '^kubernetes/' || vault auth enable kubernetes
vault write auth/kubernetes/config kubernetes_host=https://kubernetes.default.svc
printf 'path "secret/data/app/{{PROJECT_NAME}}" { capabilities = ["read"] }\n' |
	vault policy write {{PROJECT_NAME}} -
vault write auth/kubernetes/role/{{PROJECT_NAME}} \
	bound_service_account_names={{PROJECT_NAME}} \
	bound_service_account_namespaces="$NAMESPACE" \
	policies={{PROJECT_NAME}} ttl=1h
