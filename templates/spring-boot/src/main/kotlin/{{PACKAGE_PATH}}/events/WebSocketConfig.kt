package {{PACKAGE}}.events

import org.springframework.context.annotation.Configuration
import org.springframework.web.socket.config.annotation.EnableWebSocket
import org.springframework.web.socket.config.annotation.WebSocketConfigurer
import org.springframework.web.socket.config.annotation.WebSocketHandlerRegistry

/**
 * Plain WebSocket at /ws/events. Browsers are let in from the service's own
 * origin only (Spring's default); clients that send no Origin, such as
 * websocat or another service, always are.
 */
@Configuration
@EnableWebSocket
class WebSocketConfig(private val bridge: EventBridge) : WebSocketConfigurer {
    override fun registerWebSocketHandlers(registry: WebSocketHandlerRegistry) {
        registry.addHandler(bridge, "/ws/events")
    }
}
