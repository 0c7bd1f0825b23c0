{{/* Names and labels. */}}
{{- define "cleave.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "cleave.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "cleave.labels" -}}
app.kubernetes.io/name: {{ include "cleave.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{ include "cleave.commonLabels" . }}
{{- end }}

{{/* The labels besides name and instance (pods add their selector labels to these). */}}
{{- define "cleave.commonLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cleave
{{- end }}

{{/* The labels that select one Deployment's pods: call with (dict "root" $ "name" $name). */}}
{{- define "cleave.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cleave.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{- define "cleave.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "cleave.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "cleave.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "cleave.secretName" -}}
{{- default (printf "%s-credentials" (include "cleave.fullname" .)) .Values.existingSecret }}
{{- end }}

{{/* `local` when one Deployment serves every module; `nats` when they are split. */}}
{{- define "cleave.transport" -}}
{{- if eq (len (include "cleave.entries" . | fromJson)) 1 }}local{{ else }}nats{{ end }}
{{- end }}

{{/* `deployments` as given; empty means one Deployment, `app`, serving every module. */}}
{{- define "cleave.entries" -}}
{{- toJson (default (dict "app" (dict "modules" (list "auth" "user" "order"))) .Values.deployments) }}
{{- end }}

{{/* The secret keys each module reads. */}}
{{- define "cleave.moduleSecrets" -}}
{{- toJson (dict
  "auth" (list "AUTH_SIGNING_KEY" "AUTH_REDIS_URL")
  "user" (list "USER_DATABASE_URL" "ADMIN_EMAIL" "ADMIN_PASSWORD" "AUTH_PUBLIC_KEYS")
  "order" (list "ORDER_DATABASE_URL" "AUTH_PUBLIC_KEYS")
  "gateway" (list)) }}
{{- end }}

{{/*
What the chart's own Secret holds: the non-empty `secrets`, and AUTH_PUBLIC_KEYS, the public
half of AUTH_SIGNING_KEY (a JWKS), so that the modules that verify access tokens can start, and
become ready, while the auth module is down. A JSON map; read it with `fromJson`.
*/}}
{{- define "cleave.secretData" -}}
{{- $data := dict }}
{{- range $key, $value := .Values.secrets }}
{{- if $value }}{{ $_ := set $data $key (toString $value) }}{{ end }}
{{- end }}
{{- with .Values.secrets.AUTH_SIGNING_KEY }}
{{- $jwk := fromJson . }}
{{- if and (kindIs "map" $jwk) $jwk.x }}
{{- $_ := set $data "AUTH_PUBLIC_KEYS" (toJson (dict "keys" (list (dict "kty" $jwk.kty "crv" $jwk.crv "x" $jwk.x)))) }}
{{- end }}
{{- end }}
{{- toJson $data }}
{{- end }}

{{/*
Every Deployment as the templates use it: `defaults` merged with its entry, plus what the chart
derives: fullname, the front (gateway, or the Deployment serving every module), which stores it
uses, whether a store is embedded (state in its own volume: one replica only), its grace period.
A JSON map from name to deployment; read it with `include "cleave.deployments" . | fromJson`.
*/}}
{{- define "cleave.deployments" -}}
{{- $root := . }}
{{- $fullname := include "cleave.fullname" . }}
{{- $secrets := .Values.secrets }}
{{- $external := ne .Values.existingSecret "" }}
{{- $drainMs := int (default "5000" (index .Values.config "SHUTDOWN_DRAIN_MS")) }}
{{- $timeoutMs := int (default "20000" (index .Values.config "SHUTDOWN_TIMEOUT_MS")) }}
{{- $out := dict }}
{{- $entries := include "cleave.entries" . | fromJson }}
{{- range $name, $entry := $entries }}
{{- $d := mergeOverwrite (deepCopy $root.Values.defaults) (deepCopy $entry) }}
{{- $modules := $d.modules }}
{{- $_ := set $d "name" $name }}
{{- $_ := set $d "fullname" (printf "%s-%s" $fullname $name | trunc 63 | trimSuffix "-") }}
{{- $_ := set $d "gateway" (has "gateway" $modules) }}
{{- $_ := set $d "front" (or (has "gateway" $modules) (eq (len $entries) 1)) }}
{{- $embedded := list }}
{{- if and (has "user" $modules) (not $external) (not $secrets.USER_DATABASE_URL) }}{{ $embedded = append $embedded "USER_DATABASE_URL" }}{{ end }}
{{- if and (has "order" $modules) (not $external) (not $secrets.ORDER_DATABASE_URL) }}{{ $embedded = append $embedded "ORDER_DATABASE_URL" }}{{ end }}
{{- if and (has "auth" $modules) (not $external) (not $secrets.AUTH_REDIS_URL) }}{{ $embedded = append $embedded "AUTH_REDIS_URL" }}{{ end }}
{{- $_ := set $d "embedded" $embedded }}
{{- $_ := set $d "embeddedPostgres" (or (has "USER_DATABASE_URL" $embedded) (has "ORDER_DATABASE_URL" $embedded)) }}
{{- $stores := list }}
{{- if and (has "auth" $modules) (not (has "AUTH_REDIS_URL" $embedded)) }}{{ $stores = append $stores "redis" }}{{ end }}
{{- if and (has "user" $modules) (not (has "USER_DATABASE_URL" $embedded)) }}{{ $stores = append $stores "postgres" }}{{ end }}
{{- if and (has "order" $modules) (not (has "ORDER_DATABASE_URL" $embedded)) }}
{{- $url := toString $secrets.ORDER_DATABASE_URL }}
{{- if or $external (hasPrefix "postgres" $url) }}{{ $stores = append $stores "postgres" }}{{ end }}
{{- if or $external (hasPrefix "mongodb" $url) }}{{ $stores = append $stores "mongo" }}{{ end }}
{{- end }}
{{- $_ := set $d "stores" (uniq $stores) }}
{{- $_ := set $d "scales" (or (gt (int $d.replicas) 1) $d.autoscaling.enabled) }}
{{- $minGrace := div (add $drainMs $timeoutMs 999) 1000 }}
{{- $_ := set $d "minGrace" $minGrace }}
{{- if not (int $d.terminationGracePeriodSeconds) }}
{{- $_ := set $d "terminationGracePeriodSeconds" (add $minGrace 10) }}
{{- end }}
{{- $_ := set $out $name $d }}
{{- end }}
{{- toJson $out }}
{{- end }}

{{/*
Refuses, naming the value, a configuration that cannot work. Included by configmap.yaml, which
every install renders, so `helm template` and `helm install` stop before anything applies.
*/}}
{{- define "cleave.validate" -}}
{{- $deployments := include "cleave.deployments" . | fromJson }}
{{- $errors := list }}
{{- $served := dict }}
{{- $gateways := list }}
{{- $split := gt (len $deployments) 1 }}
{{- range $name, $d := $deployments }}
{{- range $module := $d.modules }}
{{- if hasKey $served $module }}
{{- $errors = append $errors (printf "deployments.%s.modules: %s is already served by deployments.%s; each module runs in exactly one Deployment (scale it with replicas)" $name $module (get $served $module)) }}
{{- end }}
{{- $_ := set $served $module $name }}
{{- end }}
{{- if $d.gateway }}
{{- $gateways = append $gateways $name }}
{{- if gt (len $d.modules) 1 }}
{{- $errors = append $errors (printf "deployments.%s.modules: the gateway runs alone (modules: [gateway])" $name) }}
{{- end }}
{{- end }}
{{- if and $d.scales (gt (len $d.embedded) 0) }}
{{- $errors = append $errors (printf "deployments.%s: embedded storage keeps its data in one pod's volume (secrets.%s is empty), so it runs one replica: set replicas: 1 and autoscaling.enabled: false, or set secrets.%s (or existingSecret)" $name (first $d.embedded) (first $d.embedded)) }}
{{- end }}
{{- if and $d.autoscaling.enabled (gt (int $d.autoscaling.minReplicas) (int $d.autoscaling.maxReplicas)) }}
{{- $errors = append $errors (printf "deployments.%s.autoscaling: minReplicas (%d) is above maxReplicas (%d)" $name (int $d.autoscaling.minReplicas) (int $d.autoscaling.maxReplicas)) }}
{{- end }}
{{- if and $d.pdb.enabled (hasKey $d.pdb "minAvailable") (hasKey $d.pdb "maxUnavailable") }}
{{- $errors = append $errors (printf "deployments.%s.pdb: set minAvailable or maxUnavailable, not both" $name) }}
{{- end }}
{{- if le (int $d.terminationGracePeriodSeconds) (int $d.minGrace) }}
{{- $errors = append $errors (printf "deployments.%s.terminationGracePeriodSeconds: %d s does not cover config.SHUTDOWN_DRAIN_MS + config.SHUTDOWN_TIMEOUT_MS (%d s); the pod would be killed mid-drain" $name (int $d.terminationGracePeriodSeconds) (int $d.minGrace)) }}
{{- end }}
{{- end }}
{{- range $module := list "auth" "user" "order" }}
{{- if not (hasKey $served $module) }}
{{- $errors = append $errors (printf "deployments: no Deployment serves the %s module (add it to one deployments.<name>.modules)" $module) }}
{{- end }}
{{- end }}
{{- if and $split (eq (len $gateways) 0) }}
{{- $errors = append $errors "deployments: a split needs a gateway Deployment in front of the modules (e.g. deployments.gateway.modules: [gateway])" }}
{{- end }}
{{- if gt (len $gateways) 1 }}
{{- $errors = append $errors (printf "deployments: one gateway Deployment (scale it with replicas), not %d" (len $gateways)) }}
{{- end }}
{{- if and (not $split) (gt (len $gateways) 0) }}
{{- $errors = append $errors "deployments: a gateway needs the modules in Deployments of their own" }}
{{- end }}
{{- $scales := false }}
{{- range $name, $d := $deployments }}{{ if $d.scales }}{{ $scales = true }}{{ end }}{{ end }}
{{- if and (or $split $scales) (not .Values.existingSecret) }}
{{- $why := ternary "the modules are split into several Deployments" "a Deployment runs more than one replica" $split }}
{{- if not .Values.secrets.AUTH_SIGNING_KEY }}
{{- $errors = append $errors (printf "secrets.AUTH_SIGNING_KEY: required when %s (every auth replica must sign with the same key), or use existingSecret" $why) }}
{{- end }}
{{- if not .Values.secrets.AUTH_REDIS_URL }}
{{- $errors = append $errors (printf "secrets.AUTH_REDIS_URL: required when %s (sessions must be shared in Redis), or use existingSecret" $why) }}
{{- end }}
{{- end }}
{{- if and (ne (toString .Values.secrets.ADMIN_EMAIL) "") (eq (toString .Values.secrets.ADMIN_PASSWORD) "") }}
{{- $errors = append $errors "secrets.ADMIN_PASSWORD: set it with secrets.ADMIN_EMAIL (both or neither)" }}
{{- end }}
{{- if and (eq (toString .Values.secrets.ADMIN_EMAIL) "") (ne (toString .Values.secrets.ADMIN_PASSWORD) "") }}
{{- $errors = append $errors "secrets.ADMIN_EMAIL: set it with secrets.ADMIN_PASSWORD (both or neither)" }}
{{- end }}
{{- if $errors }}
{{- fail (printf "\n\ncleave cannot run with these values:\n  - %s\n" (join "\n  - " $errors)) }}
{{- end }}
{{- end }}

{{/* The front Deployment: the gateway, or the one Deployment serving every module. */}}
{{- define "cleave.front" -}}
{{- $deployments := include "cleave.deployments" . | fromJson }}
{{- range $name, $d := $deployments }}{{ if $d.front }}{{ $d.fullname }}{{ end }}{{ end }}
{{- end }}

{{/* GATEWAY_UPSTREAMS: each module at the Service of the Deployment that serves it. */}}
{{- define "cleave.upstreams" -}}
{{- $root := . }}
{{- $deployments := include "cleave.deployments" . | fromJson }}
{{- $upstreams := list }}
{{- range $module := list "auth" "user" "order" }}
{{- range $name, $d := $deployments }}
{{- if has $module $d.modules }}
{{- $upstreams = append $upstreams (printf "%s=http://%s:%d" $module $d.fullname (int $root.Values.service.port)) }}
{{- end }}
{{- end }}
{{- end }}
{{- join "," $upstreams }}
{{- end }}
