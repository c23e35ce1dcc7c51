{{/*
The one set of named templates behind every workload. A "component" is one Deployment:
an API (gateway, tasks, portfolio, calendar, notifications), an event worker
(<service>-worker), the relay or the notifications beat. "obcms.components" lists the enabled ones with their values block; the templates
below turn one of them into a ServiceAccount, Deployment, Service, HPA and PDB.
*/}}

{{- define "obcms.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "obcms.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "obcms.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels of a component. Args: root, component (name). */}}
{{- define "obcms.selectorLabels" -}}
app.kubernetes.io/name: {{ include "obcms.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Release-wide selector (every pod of the release). */}}
{{- define "obcms.releaseSelector" -}}
app.kubernetes.io/name: {{ include "obcms.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Standard labels. Args: root, component. */}}
{{- define "obcms.labels" -}}
{{ include "obcms.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: obcms
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "obcms.chart" .root }}
{{- end -}}

{{/* <fullname>-<component>. Args: root, component. */}}
{{- define "obcms.componentName" -}}
{{- printf "%s-%s" (include "obcms.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Image reference from an image block. Args: root, image. */}}
{{- define "obcms.image" -}}
{{- $ref := .image.repository -}}
{{- $tag := .image.tag | default .root.Chart.AppVersion -}}
{{- if $tag }}{{ $ref = printf "%s:%s" $ref $tag }}{{ end -}}
{{- if .image.digest }}{{ $ref = printf "%s@%s" $ref .image.digest }}{{ end -}}
{{- $ref -}}
{{- end -}}

{{/*
The enabled components as YAML `items: [{name, kind, service, port, portName, image,
pullPolicy, spec}]` (APIs also `metricsPort`); read with `include "obcms.components" . | fromYaml`.
*/}}
{{- define "obcms.components" -}}
items:
{{- range $service, $api := .Values.apis }}
{{- if $api.enabled }}
  - name: {{ $service }}
    kind: api
    service: {{ $service }}
    port: 8000
    portName: http
    metricsPort: {{ $api.metricsPort }}
    image: {{ include "obcms.image" (dict "root" $ "image" $api.image) | quote }}
    pullPolicy: {{ $api.image.pullPolicy }}
    spec: {{ toJson $api }}
{{- end }}
{{- end }}
{{- range $service, $worker := .Values.workers }}
{{- if $worker.enabled }}
{{- $api := index $.Values.apis $service | default dict }}
{{- if not $api.enabled }}
{{- fail (printf "workers.%s needs apis.%s enabled (the worker runs from its image)" $service $service) }}
{{- end }}
  - name: {{ $service }}-worker
    kind: worker
    service: {{ $service }}
    port: {{ $worker.metricsPort }}
    portName: metrics
    image: {{ include "obcms.image" (dict "root" $ "image" $api.image) | quote }}
    pullPolicy: {{ $api.image.pullPolicy }}
    spec: {{ toJson $worker }}
{{- end }}
{{- end }}
{{- if .Values.relay.enabled }}
{{- $api := index .Values.apis .Values.relay.imageFrom | default dict }}
{{- if not $api.enabled }}
{{- fail (printf "relay.imageFrom: apis.%s must be enabled" .Values.relay.imageFrom) }}
{{- end }}
  - name: relay
    kind: relay
    service: relay
    port: {{ .Values.relay.metricsPort }}
    portName: metrics
    image: {{ include "obcms.image" (dict "root" . "image" $api.image) | quote }}
    pullPolicy: {{ $api.image.pullPolicy }}
    spec: {{ toJson .Values.relay }}
{{- end }}
{{- if .Values.beat.enabled }}
{{- $api := .Values.apis.notifications | default dict }}
{{- if not $api.enabled }}
{{- fail "beat.enabled needs apis.notifications enabled (the beat runs from its image, on its database); set beat.enabled=false without it" }}
{{- end }}
  - name: notifications-beat
    kind: beat
    service: notifications
    port: {{ .Values.beat.metricsPort }}
    portName: metrics
    image: {{ include "obcms.image" (dict "root" . "image" $api.image) | quote }}
    pullPolicy: {{ $api.image.pullPolicy }}
    {{- /* Exactly one replica, never autoscaled, no PDB: see beat in values.yaml. */}}
    spec: {{ merge (dict "replicas" 1 "autoscaling" (dict "enabled" false) "pdb" (dict "enabled" false)) .Values.beat | toJson }}
{{- end }}
{{- end -}}

{{/* ---------------------------------------------------------------- secrets */}}

{{- define "obcms.secretName" -}}
{{- printf "%s-secrets" (include "obcms.fullname" .) -}}
{{- end -}}

{{/*
Key/value pairs the chart stores in its own Secret: every secret given inline whose group
has no existingSecret. Rendered as YAML (empty when nothing is inline).
*/}}
{{- define "obcms.inlineSecrets" -}}
{{- $v := .Values -}}
{{- if not $v.database.existingSecret }}
{{- range $service, $url := $v.database.urls }}
{{- if $url }}
{{ index $v.database.keys $service }}: {{ $url | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- if and (not $v.redis.existingSecret) $v.redis.url }}
{{ $v.redis.key }}: {{ $v.redis.url | quote }}
{{- end }}
{{- if not $v.internalToken.existingSecret }}
{{- if $v.internalToken.publicKey }}
{{ $v.internalToken.publicKeyKey }}: {{ $v.internalToken.publicKey | quote }}
{{- end }}
{{- if $v.internalToken.privateKey }}
{{ $v.internalToken.privateKeyKey }}: {{ $v.internalToken.privateKey | quote }}
{{- end }}
{{- end }}
{{- if and (not $v.sessionSecret.existingSecret) $v.sessionSecret.value }}
{{ $v.sessionSecret.key }}: {{ $v.sessionSecret.value | quote }}
{{- end }}
{{- if and (not $v.unsubscribeSecret.existingSecret) $v.unsubscribeSecret.value }}
{{ $v.unsubscribeSecret.key }}: {{ $v.unsubscribeSecret.value | quote }}
{{- end }}
{{- if and (not $v.admin.existingSecret) $v.admin.password }}
{{ $v.admin.passwordKey }}: {{ $v.admin.password | quote }}
{{- end }}
{{- if not $v.smtp.existingSecret }}
{{- if $v.smtp.username }}
{{ $v.smtp.usernameKey }}: {{ $v.smtp.username | quote }}
{{- end }}
{{- if $v.smtp.password }}
{{ $v.smtp.passwordKey }}: {{ $v.smtp.password | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
A secret env var, or nothing when the secret is not configured.
Args: root, env (variable name), group (database|redis|internalToken|sessionSecret|
unsubscribeSecret|admin|smtp), key (the key
inside the Secret), inline (the inline value, "" when not given).
*/}}
{{- define "obcms.secretEnv" -}}
{{- $group := index .root.Values .group -}}
{{- if or $group.existingSecret .inline }}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ $group.existingSecret | default (include "obcms.secretName" .root) }}
      key: {{ .key }}
{{- end }}
{{- end -}}

{{- define "obcms.databaseUrlEnv" -}}
{{- $db := .root.Values.database -}}
{{- $key := index $db.keys .service | default "" -}}
{{- if not $key }}{{ fail (printf "database.keys.%s is not set" .service) }}{{ end -}}
{{ include "obcms.secretEnv" (dict "root" .root "env" (printf "OBCMS_%s_DATABASE_URL" (upper .service)) "group" "database" "key" $key "inline" (index $db.urls .service | default "")) }}
{{- end -}}

{{/*
Refuse to render without the secrets a release needs: database URLs and Redis always;
the internal-token keys and the admin password in production (and the admin password for
`helm test`).
*/}}
{{- define "obcms.validate" -}}
{{- $v := .Values -}}
{{- $production := eq $v.mode "production" -}}
{{- range $service, $api := $v.apis }}
{{- if and $api.enabled (not $v.database.existingSecret) (not (index $v.database.urls $service)) }}
{{- fail (printf "database.urls.%s (or database.existingSecret) is required" $service) }}
{{- end }}
{{- end }}
{{- if $v.relay.enabled }}
{{- range $v.relay.sources }}
{{- if not (index $v.apis . | default dict).enabled }}
{{- fail (printf "relay.sources: %s is not an enabled API" .) }}
{{- end }}
{{- end }}
{{- end }}
{{- if not (or $v.redis.existingSecret $v.redis.url) }}
{{- fail "redis.url (or redis.existingSecret) is required" }}
{{- end }}
{{- if and $production (not $v.internalToken.existingSecret) (not (and $v.internalToken.publicKey $v.internalToken.privateKey)) }}
{{- fail "production: internalToken.publicKey and internalToken.privateKey (or internalToken.existingSecret) are required" }}
{{- end }}
{{- if and $production (not (or $v.sessionSecret.existingSecret $v.sessionSecret.value)) }}
{{- fail "production: sessionSecret.value (at least 50 characters) or sessionSecret.existingSecret is required" }}
{{- end }}
{{- if and $v.sessionSecret.value (lt (len $v.sessionSecret.value) 50) }}
{{- fail "sessionSecret.value must be at least 50 characters" }}
{{- end }}
{{- if and $production (not (or $v.unsubscribeSecret.existingSecret $v.unsubscribeSecret.value)) }}
{{- fail "production: unsubscribeSecret.value (at least 50 characters) or unsubscribeSecret.existingSecret is required" }}
{{- end }}
{{- if and $v.unsubscribeSecret.value (lt (len $v.unsubscribeSecret.value) 50) }}
{{- fail "unsubscribeSecret.value must be at least 50 characters" }}
{{- end }}
{{- if and $production (has "*" $v.gateway.trustedProxies) }}
{{- fail "production: gateway.trustedProxies must name the ingress controller's addresses, not \"*\" (any client could choose its address)" }}
{{- end }}
{{- if and (or $production $v.tests.enabled) (not (or $v.admin.existingSecret $v.admin.password)) }}
{{- fail "admin.password (or admin.existingSecret) is required in production and for helm test (tests.enabled)" }}
{{- end }}
{{- $filesStored := false }}
{{- range splitList "," (include "obcms.fileServices" .) }}
{{- if (index $v.apis . | default dict).enabled }}{{ $filesStored = true }}{{ end }}
{{- end }}
{{- if and $filesStored (eq $v.attachments.storage "s3") (not $v.attachments.s3.bucket) }}
{{- fail "attachments.s3.bucket is required with attachments.storage s3 (or storage local, for development only)" }}
{{- end }}
{{- if and $filesStored $production (eq $v.attachments.storage "local") }}
{{- fail "production: attachments.storage local keeps files in each pod, lost with it; use s3" }}
{{- end }}
{{- if and $v.ingress.enabled $v.ingress.tls.enabled (not (or $v.ingress.tls.secretName $v.ingress.tls.clusterIssuer)) }}
{{- fail "ingress.tls: set secretName (an existing certificate Secret) or clusterIssuer (cert-manager)" }}
{{- end }}
{{- if and $v.beat.enabled $v.smtp.host }}
{{- if not $v.smtp.from }}
{{- fail "smtp.from (the sender address) is required with smtp.host" }}
{{- end }}
{{- if and (not $v.smtp.existingSecret) (ne (empty $v.smtp.username) (empty $v.smtp.password)) }}
{{- fail "smtp.username and smtp.password go together (or use smtp.existingSecret)" }}
{{- end }}
{{- if and $production (eq $v.smtp.security "none") (or $v.smtp.existingSecret $v.smtp.username) }}
{{- fail "production: smtp.security none would send the SMTP password in clear; use starttls or tls" }}
{{- end }}
{{- if and $production (not (include "obcms.notificationsPublicUrl" .)) }}
{{- fail "production: notifications.publicUrl (or ingress.enabled with ingress.host) is required to send mail: every link in an email starts with it" }}
{{- end }}
{{- end }}
{{- end -}}

{{/* OBCMS_NOTIFICATIONS_PUBLIC_URL: notifications.publicUrl, else the Ingress's address. */}}
{{- define "obcms.notificationsPublicUrl" -}}
{{- if .Values.notifications.publicUrl -}}
{{- .Values.notifications.publicUrl -}}
{{- else if .Values.ingress.enabled -}}
{{- printf "https://%s" .Values.ingress.host -}}
{{- end -}}
{{- end -}}

{{/* ---------------------------------------------------------------- attachments */}}

{{/* The services whose records carry attachments (the registry's `stores_files`). */}}
{{- define "obcms.fileServices" -}}
tasks,portfolio
{{- end -}}

{{/* "true" when component `c` stores files (its API or worker), else "". Args: root, c. */}}
{{- define "obcms.storesFiles" -}}
{{- if and (has .c.service (splitList "," (include "obcms.fileServices" .root))) (has .c.kind (list "api" "worker")) -}}
true
{{- end -}}
{{- end -}}

{{/* "true" when component `c` keeps files in its own folder (storage local). */}}
{{- define "obcms.localFiles" -}}
{{- if and (include "obcms.storesFiles" .) (eq .root.Values.attachments.storage "local") -}}
true
{{- end -}}
{{- end -}}

{{/* The storage settings of a component that stores files. Args: root, c. */}}
{{- define "obcms.attachmentsEnv" -}}
{{- $a := .root.Values.attachments -}}
- name: OBCMS_ATTACHMENT_MAX_PER_RECORD
  value: {{ $a.maxPerRecord | int64 | quote }}
- name: OBCMS_ATTACHMENTS_STORAGE
  value: {{ $a.storage | quote }}
{{- if eq $a.storage "s3" }}
- name: OBCMS_S3_BUCKET
  value: {{ $a.s3.bucket | quote }}
- name: OBCMS_S3_REGION
  value: {{ $a.s3.region | quote }}
{{- with $a.s3.endpoint }}
- name: OBCMS_S3_ENDPOINT_URL
  value: {{ . | quote }}
{{- end }}
{{- with $a.s3.existingSecret }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $a.s3.accessKeyIdKey }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $a.s3.secretAccessKeyKey }}
{{- end }}
{{- else }}
- name: OBCMS_ATTACHMENTS_DIR
  value: /var/lib/obcms/attachments
{{- end }}
{{- end -}}

{{/* ---------------------------------------------------------------- pods */}}

{{/* Environment of a process. Args: root, c (component item; kind may also be "migrate"). */}}
{{- define "obcms.env" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $c := .c -}}
- name: OBCMS_MODE
  value: {{ $v.mode | quote }}
- name: OBCMS_LOG_LEVEL
  value: {{ $v.logLevel | quote }}
{{- include "obcms.secretEnv" (dict "root" $root "env" "OBCMS_REDIS_URL" "group" "redis" "key" $v.redis.key "inline" $v.redis.url) }}
{{- if eq $c.kind "relay" }}
- name: OBCMS_RELAY_SOURCES
  value: {{ join "," $v.relay.sources | quote }}
- name: OBCMS_RELAY_METRICS_PORT
  value: {{ $c.port | quote }}
{{- range $v.relay.sources }}
{{- include "obcms.databaseUrlEnv" (dict "root" $root "service" .) }}
{{- end }}
{{- /* The redelivery sweeper reads each consumer's inbox and dead letters: the database of
every service with an event worker (e.g. the gateway, which publishes nothing). */}}
{{- $consumers := list }}
{{- range $service, $worker := $v.workers }}
{{- if $worker.enabled }}
{{- $consumers = append $consumers $service }}
{{- if not (has $service $v.relay.sources) }}
{{- include "obcms.databaseUrlEnv" (dict "root" $root "service" $service) }}
{{- end }}
{{- end }}
{{- end }}
- name: OBCMS_RELAY_CONSUMERS
  value: {{ join "," $consumers | quote }}
{{- else }}
{{- include "obcms.databaseUrlEnv" (dict "root" $root "service" $c.service) }}
{{- include "obcms.secretEnv" (dict "root" $root "env" "OBCMS_INTERNAL_TOKEN_PUBLIC_KEY" "group" "internalToken" "key" $v.internalToken.publicKeyKey "inline" $v.internalToken.publicKey) }}
{{- end }}
{{- if has $c.service (list "gateway" "notifications") }}
{{- /* The notifications service signs the unsubscribe links of its emails, the gateway checks
them; both refuse to start in production without the secret. */}}
{{- include "obcms.secretEnv" (dict "root" $root "env" "OBCMS_UNSUBSCRIBE_SECRET" "group" "unsubscribeSecret" "key" $v.unsubscribeSecret.key "inline" $v.unsubscribeSecret.value) }}
{{- end }}
{{- if eq $c.service "gateway" }}
{{- include "obcms.secretEnv" (dict "root" $root "env" "OBCMS_GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY" "group" "internalToken" "key" $v.internalToken.privateKeyKey "inline" $v.internalToken.privateKey) }}
{{- include "obcms.secretEnv" (dict "root" $root "env" "OBCMS_GATEWAY_SECRET_KEY" "group" "sessionSecret" "key" $v.sessionSecret.key "inline" $v.sessionSecret.value) }}
{{- include "obcms.secretEnv" (dict "root" $root "env" "OBCMS_ADMIN_PASSWORD" "group" "admin" "key" $v.admin.passwordKey "inline" $v.admin.password) }}
- name: OBCMS_GATEWAY_MAINTENANCE_MODE
  value: {{ $v.maintenanceMode | quote }}
- name: OBCMS_GATEWAY_ALLOWED_HOSTS
  value: {{ include "obcms.allowedHosts" $root | quote }}
- name: OBCMS_GATEWAY_TRUSTED_PROXIES
  value: {{ join "," $v.gateway.trustedProxies | quote }}
- name: OBCMS_GATEWAY_STATE_DIR
  value: /tmp/obcms
{{- range $service, $api := $v.apis }}
{{- if ne $service "gateway" }}
{{- /* An empty URL tells the gateway the service is not deployed. */}}
- name: OBCMS_GATEWAY_{{ upper $service }}_URL
  value: {{ ternary (printf "http://%s:8000" (include "obcms.componentName" (dict "root" $root "component" $service))) "" $api.enabled | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- if eq $c.kind "api" }}
- name: OBCMS_{{ upper $c.service }}_METRICS_PORT
  value: {{ $c.metricsPort | quote }}
{{- end }}
{{- if and (eq $c.service "notifications") (ne $c.kind "migrate") (include "obcms.notificationsPublicUrl" $root) }}
- name: OBCMS_NOTIFICATIONS_PUBLIC_URL
  value: {{ include "obcms.notificationsPublicUrl" $root | quote }}
{{- end }}
{{- if eq $c.kind "beat" }}
- name: OBCMS_NOTIFICATIONS_BEAT_METRICS_PORT
  value: {{ $c.port | quote }}
- name: OBCMS_NOTIFICATIONS_BEAT_TICK_SECONDS
  value: {{ $c.spec.tickSeconds | quote }}
{{- /* Only the beat sends mail: no other pod gets the SMTP settings or credentials. */}}
- name: OBCMS_NOTIFICATIONS_SMTP_HOST
  value: {{ $v.smtp.host | quote }}
- name: OBCMS_NOTIFICATIONS_SMTP_PORT
  value: {{ $v.smtp.port | quote }}
- name: OBCMS_NOTIFICATIONS_SMTP_SECURITY
  value: {{ $v.smtp.security | quote }}
{{- with $v.smtp.from }}
- name: OBCMS_NOTIFICATIONS_MAIL_FROM
  value: {{ . | quote }}
{{- end }}
{{- include "obcms.secretEnv" (dict "root" $root "env" "OBCMS_NOTIFICATIONS_SMTP_USERNAME" "group" "smtp" "key" $v.smtp.usernameKey "inline" $v.smtp.username) }}
{{- include "obcms.secretEnv" (dict "root" $root "env" "OBCMS_NOTIFICATIONS_SMTP_PASSWORD" "group" "smtp" "key" $v.smtp.passwordKey "inline" $v.smtp.password) }}
{{- end }}
{{- if eq $c.kind "worker" }}
- name: OBCMS_{{ upper $c.service }}_WORKER_METRICS_PORT
  value: {{ $c.port | quote }}
- name: OBCMS_{{ upper $c.service }}_WORKER_CONCURRENCY
  value: {{ $c.spec.concurrency | quote }}
{{- end }}
{{- if or (include "obcms.storesFiles" .) (and (eq $c.kind "api") (eq $c.service "gateway")) }}
- name: OBCMS_ATTACHMENT_MAX_BYTES
  value: {{ $v.attachments.maxBytes | int64 | quote }}
{{- end }}
{{- if include "obcms.storesFiles" . }}
{{- include "obcms.attachmentsEnv" . | nindent 0 }}
{{- end }}
{{- if and (eq $c.kind "api") (gt (int $c.spec.uvicornWorkers) 1) }}
- name: PROMETHEUS_MULTIPROC_DIR
  value: /var/run/obcms/prometheus
{{- end }}
{{- if $v.otel.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ $v.otel.endpoint | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ $v.otel.protocol | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ printf "obcms-%s" $c.name | quote }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ printf "service.namespace=obcms,k8s.namespace.name=%s%s" $root.Release.Namespace (ternary (printf ",%s" $v.otel.resourceAttributes) "" (ne $v.otel.resourceAttributes "")) | quote }}
{{- end }}
{{- range $name, $value := ($c.spec.env | default dict) }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/* OBCMS_GATEWAY_ALLOWED_HOSTS: the Ingress host, extra hosts, the in-cluster names. */}}
{{- define "obcms.allowedHosts" -}}
{{- $service := include "obcms.componentName" (dict "root" . "component" "gateway") -}}
{{- $hosts := list -}}
{{- if .Values.ingress.enabled }}{{ $hosts = append $hosts .Values.ingress.host }}{{ end -}}
{{- $hosts = concat $hosts .Values.gateway.allowedHosts -}}
{{- $hosts = concat $hosts (list $service (printf "%s.%s.svc" $service .Release.Namespace) (printf "%s.%s.svc.cluster.local" $service .Release.Namespace)) -}}
{{- join "," (uniq $hosts) -}}
{{- end -}}

{{/* The command of a process. Args: c. */}}
{{- define "obcms.command" -}}
{{- $c := .c -}}
{{- if eq $c.kind "api" -}}
["obcms-{{ $c.service }}", "serve", "--host", "0.0.0.0", "--port", "{{ $c.port }}", "--workers", "{{ $c.spec.uvicornWorkers }}"]
{{- else if eq $c.kind "worker" -}}
["obcms-{{ $c.service }}", "worker"]
{{- else if eq $c.kind "relay" -}}
["obcms-relay"]
{{- else if eq $c.kind "beat" -}}
["obcms-{{ $c.service }}", "beat"]
{{- else -}}
["obcms-{{ $c.service }}", "migrate"]
{{- end -}}
{{- end -}}

{{/* securityContext, /tmp and the pod-level fields every pod shares. Args: root. */}}
{{- define "obcms.podSecurity" -}}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "obcms.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end -}}

{{/* One container. Args: root, c. */}}
{{- define "obcms.container" -}}
{{- $root := .root -}}
{{- $c := .c -}}
- name: {{ ternary "migrate" $c.name (eq $c.kind "migrate") }}
  image: {{ $c.image }}
  imagePullPolicy: {{ $c.pullPolicy }}
  command: {{ include "obcms.command" . }}
  env:
    {{- include "obcms.env" . | nindent 4 }}
  {{- if ne $c.kind "migrate" }}
  ports:
    - name: {{ $c.portName }}
      containerPort: {{ $c.port }}
      protocol: TCP
    {{- if eq $c.kind "api" }}
    - name: metrics
      containerPort: {{ $c.metricsPort }}
      protocol: TCP
    {{- end }}
  {{- end }}
  {{- if eq $c.kind "api" }}
  startupProbe:
    httpGet: {path: /healthz, port: {{ $c.portName }}}
    {{- toYaml $root.Values.probes.startup | nindent 4 }}
  livenessProbe:
    httpGet: {path: /healthz, port: {{ $c.portName }}}
    {{- toYaml $root.Values.probes.liveness | nindent 4 }}
  readinessProbe:
    httpGet: {path: /readyz, port: {{ $c.portName }}}
    {{- toYaml $root.Values.probes.readiness | nindent 4 }}
  {{- else if ne $c.kind "migrate" }}
  startupProbe:
    httpGet: {path: /metrics, port: {{ $c.portName }}}
    {{- toYaml $root.Values.workerProbes.startup | nindent 4 }}
  livenessProbe:
    httpGet: {path: /metrics, port: {{ $c.portName }}}
    {{- toYaml $root.Values.workerProbes.liveness | nindent 4 }}
  {{- end }}
  resources:
    {{- toYaml $c.spec.resources | nindent 4 }}
  securityContext:
    {{- toYaml $root.Values.containerSecurityContext | nindent 4 }}
  volumeMounts:
    - name: tmp
      mountPath: /tmp
    {{- if and (eq $c.kind "api") (gt (int $c.spec.uvicornWorkers) 1) }}
    - name: prometheus-multiproc
      mountPath: /var/run/obcms/prometheus
    {{- end }}
    {{- if include "obcms.localFiles" . }}
    - name: attachments
      mountPath: /var/lib/obcms/attachments
    {{- end }}
{{- end -}}

{{/* ---------------------------------------------------------------- objects */}}

{{/* Args for all below: root, c. */}}
{{- define "obcms.serviceAccount" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "obcms.componentName" (dict "root" .root "component" .c.name) }}
  labels:
    {{- include "obcms.labels" (dict "root" .root "component" .c.name) | nindent 4 }}
automountServiceAccountToken: false
{{- end -}}

{{- define "obcms.deployment" -}}
{{- $root := .root -}}
{{- $c := .c -}}
{{- $ref := dict "root" $root "component" $c.name -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "obcms.componentName" $ref }}
  labels:
    {{- include "obcms.labels" $ref | nindent 4 }}
spec:
  {{- if not $c.spec.autoscaling.enabled }}
  replicas: {{ $c.spec.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "obcms.selectorLabels" $ref | nindent 6 }}
  strategy:
    {{- if eq $c.kind "beat" }}
    # One beat at a time: the old pod stops before the new one starts.
    type: Recreate
    {{- else }}
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: {{ ternary 0 1 (eq $c.kind "api") }}
    {{- end }}
  template:
    metadata:
      labels:
        {{- include "obcms.labels" $ref | nindent 8 }}
      annotations:
        checksum/secrets: {{ include "obcms.inlineSecrets" $root | sha256sum }}
        {{- with $c.spec.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "obcms.componentName" $ref }}
      {{- include "obcms.podSecurity" $root | nindent 6 }}
      terminationGracePeriodSeconds: {{ ternary 30 60 (eq $c.kind "api") }}
      containers:
        {{- include "obcms.container" . | nindent 8 }}
      volumes:
        {{- include "obcms.tmpVolume" $root | nindent 8 }}
        {{- if and (eq $c.kind "api") (gt (int $c.spec.uvicornWorkers) 1) }}
        - name: prometheus-multiproc
          emptyDir:
            sizeLimit: 64Mi
        {{- end }}
        {{- if include "obcms.localFiles" . }}
        - name: attachments
          emptyDir:
            sizeLimit: {{ $root.Values.attachments.localSizeLimit }}
        {{- end }}
      {{- with $c.spec.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.spec.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.spec.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.spec.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}

{{- define "obcms.service" -}}
{{- $ref := dict "root" .root "component" .c.name -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "obcms.componentName" $ref }}
  labels:
    {{- include "obcms.labels" $ref | nindent 4 }}
    obcms.io/scrape: "true"
spec:
  type: ClusterIP
  {{- if ne .c.kind "api" }}
  clusterIP: None
  {{- end }}
  selector:
    {{- include "obcms.selectorLabels" $ref | nindent 4 }}
  ports:
    - name: {{ .c.portName }}
      port: {{ .c.port }}
      targetPort: {{ .c.portName }}
      protocol: TCP
    {{- if eq .c.kind "api" }}
    - name: metrics
      port: {{ .c.metricsPort }}
      targetPort: metrics
      protocol: TCP
    {{- end }}
{{- end -}}

{{- define "obcms.hpa" -}}
{{- $ref := dict "root" .root "component" .c.name -}}
{{- $as := .c.spec.autoscaling -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "obcms.componentName" $ref }}
  labels:
    {{- include "obcms.labels" $ref | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "obcms.componentName" $ref }}
  minReplicas: {{ $as.minReplicas }}
  maxReplicas: {{ $as.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $as.targetCPUUtilizationPercentage }}
    {{- if $as.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ $as.targetMemoryUtilizationPercentage }}
    {{- end }}
{{- end -}}

{{- define "obcms.pdb" -}}
{{- $ref := dict "root" .root "component" .c.name -}}
{{- $pdb := .c.spec.pdb -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "obcms.componentName" $ref }}
  labels:
    {{- include "obcms.labels" $ref | nindent 4 }}
spec:
  {{- if hasKey $pdb "minAvailable" }}
  minAvailable: {{ $pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $pdb.maxUnavailable | default 1 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "obcms.selectorLabels" $ref | nindent 6 }}
{{- end -}}
