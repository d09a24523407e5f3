package {{PACKAGE}}.events

import org.slf4j.LoggerFactory
import org.springframework.beans.factory.annotation.Value
import org.springframework.kafka.annotation.KafkaListener
import org.springframework.kafka.core.KafkaTemplate
import org.springframework.stereotype.Component
import org.springframework.web.socket.CloseStatus
import org.springframework.web.socket.TextMessage
import org.springframework.web.socket.WebSocketSession
import org.springframework.web.socket.handler.ConcurrentWebSocketSessionDecorator
import org.springframework.web.socket.handler.TextWebSocketHandler
import java.util.concurrent.ConcurrentHashMap

/**
 * Bridges Kafka and WebSocket clients (at /ws/events, see WebSocketConfig): a
 * text message from a client is published to the topic, and every record read
 * from the topic is sent to every client connected to this instance.
 */
@Component
class EventBridge(
    private val kafka: KafkaTemplate<String, String>,
    @Value("\${app.kafka.topic}") private val topic: String,
) : TextWebSocketHandler() {
    private val sessions = ConcurrentHashMap<String, WebSocketSession>()

    override fun afterConnectionEstablished(session: WebSocketSession) {
        // Records arrive on the listener thread while a client may still be receiving the
        // previous one: the decorator queues sends, and closes a client that falls too far behind.
        sessions[session.id] = ConcurrentWebSocketSessionDecorator(session, SEND_TIME_LIMIT_MS, BUFFER_LIMIT_BYTES)
    }

    override fun afterConnectionClosed(session: WebSocketSession, status: CloseStatus) {
        sessions.remove(session.id)
    }

    override fun handleTextMessage(session: WebSocketSession, message: TextMessage) {
        kafka.send(topic, message.payload).whenComplete { _, failure ->
            if (failure != null) log.warn("could not publish to {}: {}", topic, failure.toString())
        }
    }

    @KafkaListener(topics = ["\${app.kafka.topic}"])
    fun onRecord(payload: String) {
        val message = TextMessage(payload)
        for (session in sessions.values) {
            try {
                session.sendMessage(message)
            } catch (e: Exception) {
                // One client gone bad must not keep the record from the others.
                log.warn("could not send to WebSocket session {}: {}", session.id, e.toString())
            }
        }
    }

    private companion object {
        const val SEND_TIME_LIMIT_MS = 5_000
        const val BUFFER_LIMIT_BYTES = 512 * 1024
        val log = LoggerFactory.getLogger(EventBridge::class.java)
    }
}
