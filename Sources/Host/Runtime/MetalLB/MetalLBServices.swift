import HeraldKube
import HeraldPluginHost
import Logging
import ServiceLifecycle

/// What MetalLB mode runs beside the host, by role: the source of MetalLB's objects and the report of its verdict on
/// them (every role); the pools' status counts (the allocator); the ServiceL2Status/ServiceBGPStatus objects of this
/// node (a speaker).
enum MetalLBServices {
    static func make(
        client: KubeClient, options: RuntimeOptions.MetalLB, role: RuntimeOptions.Role, node: String,
        nodeLabels: [String: String], cluster: KubernetesMode?, composer: MetalLBComposer, plugins: PluginSet,
        logger: Logger
    ) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        // The verdict on MetalLB's objects: this process's ConfigurationState, and the Events on invalid objects
        // written by the leading allocator alone (one per cluster; a speaker-only process writes none).
        let report = MetalLBConfigurationReport(
            client: client, namespace: options.namespace, node: node,
            component: role.speaks ? "speaker" : "controller",
            recorder: role.allocates ? cluster?.allocatorRecorder : nil, elector: cluster?.elector, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(
                service: MetalLBSource(
                    client: client, namespace: options.namespace, composer: composer, report: report,
                    passwordDirectory: options.passwordDirectory, logger: logger))
        ]
        if role.allocates, let controller = cluster?.controller {
            services.append(
                .init(
                    service: MetalLBPoolStatus(client: client, namespace: options.namespace, logger: logger) {
                        controller.poolStatistics
                    }))
        }
        if role.speaks {
            services.append(
                .init(
                    service: MetalLBAnnouncementStatus(
                        client: client, namespace: options.namespace, node: node, logger: logger
                    ) {
                        MetalLBAnnouncementStatus.Announced(
                            plugins.instances, conversion: composer.derived.conversion, nodeLabels: nodeLabels)
                    }))
        }
        return services
    }
}
