package event

func init() {
	register(
		procName("container.id", "Container id (12 hex digits for docker-style ids), \"host\" for processes on the host.",
			func(p *Process) string { return p.ContainerID }),
		// Runtime metadata (names, images) is not queried, so the name is
		// the id: rules comparing container.name to "host" still work.
		procName("container.name", "Container name; \"host\" on the host, the container id otherwise (runtime metadata is not queried).",
			func(p *Process) string { return p.ContainerID }),
		unavailable("container.image", String, ArgNone, "Container image name with tag (needs runtime metadata; not available)."),
		unavailable("container.image.repository", String, ArgNone, "Container image repository (needs runtime metadata; not available)."),
		unavailable("container.image.tag", String, ArgNone, "Container image tag (needs runtime metadata; not available)."),
		unavailable("container.image.id", String, ArgNone, "Container image id (needs runtime metadata; not available)."),
		unavailable("container.privileged", Bool, ArgNone, "True for a privileged container (needs runtime metadata; not available)."),
		unavailable("container.mounts", String, ArgNone, "The container's mounts (needs runtime metadata; not available)."),
		unavailable("container.mount", String, ArgKeyRequired, "One mount of the container by index or source, container.mount[/src] (needs runtime metadata; not available)."),
		unavailable("container.mount.dest", String, ArgKeyRequired, "Mount destination for a source, container.mount.dest[/src] (needs runtime metadata; not available)."),
		unavailable("container.mount.source", String, ArgKeyRequired, "Mount source for a destination, container.mount.source[/dest] (needs runtime metadata; not available)."),
		unavailable("container.start_ts", Number, ArgNone, "Container start time in ns (needs runtime metadata; not available)."),
		unavailable("k8s.ns.name", String, ArgNone, "Kubernetes namespace of the pod (needs Kubernetes metadata; not available)."),
		unavailable("k8s.pod.name", String, ArgNone, "Kubernetes pod name (needs Kubernetes metadata; not available)."),
		unavailable("k8s.pod.uid", String, ArgNone, "Kubernetes pod uid (needs Kubernetes metadata; not available)."),
		unavailable("k8s.pod.label", String, ArgKeyRequired, "A Kubernetes pod label, k8s.pod.label[KEY] (needs Kubernetes metadata; not available)."),
	)
}
