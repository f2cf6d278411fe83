package io.packetlens.ebpf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** Implementations behind {@link Codec}'s factories: primitives and reflective record layouts. */
final class Codecs {
    private Codecs() {}

    static Codec<Object> primitive(ValueLayout layout) {
        return new Codec<>() {
            public int size() { return (int) layout.byteSize(); }
            public int alignment() { return (int) layout.byteSize(); }
            public void write(Object v, MemorySegment dst, long off) {
                switch (layout) {
                    case ValueLayout.OfByte l -> dst.set(l, off, ((Number) v).byteValue());
                    case ValueLayout.OfShort l -> dst.set(l, off, ((Number) v).shortValue());
                    case ValueLayout.OfInt l -> dst.set(l, off, ((Number) v).intValue());
                    case ValueLayout.OfLong l -> dst.set(l, off, ((Number) v).longValue());
                    case ValueLayout.OfFloat l -> dst.set(l, off, ((Number) v).floatValue());
                    case ValueLayout.OfDouble l -> dst.set(l, off, ((Number) v).doubleValue());
                    case ValueLayout.OfBoolean l -> dst.set(ValueLayout.JAVA_BYTE, off, (byte) ((Boolean) v ? 1 : 0));
                    default -> throw new IllegalStateException(layout.toString());
                }
            }
            public Object read(MemorySegment src, long off) {
                return switch (layout) {
                    case ValueLayout.OfByte l -> src.get(l, off);
                    case ValueLayout.OfShort l -> src.get(l, off);
                    case ValueLayout.OfInt l -> src.get(l, off);
                    case ValueLayout.OfLong l -> src.get(l, off);
                    case ValueLayout.OfFloat l -> src.get(l, off);
                    case ValueLayout.OfDouble l -> src.get(l, off);
                    case ValueLayout.OfBoolean l -> src.get(ValueLayout.JAVA_BYTE, off) != 0;
                    default -> throw new IllegalStateException(layout.toString());
                };
            }
        };
    }

    private record Field(Codec<Object> codec, long offset, MethodHandle getter) {}

    @SuppressWarnings("unchecked")
    static <R extends Record> Codec<R> record(Class<R> type) {
        RecordComponent[] comps = type.getRecordComponents();
        List<Field> fields = new ArrayList<>();
        long off = 0;
        int align = 1;
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        Class<?>[] ctorTypes = new Class<?>[comps.length];
        for (int i = 0; i < comps.length; i++) {
            RecordComponent c = comps[i];
            ctorTypes[i] = c.getType();
            Codec<Object> codec = componentCodec(type, c);
            int a = codec.alignment();
            off = (off + a - 1) / a * a;
            try {
                c.getAccessor().setAccessible(true);
                fields.add(new Field(codec, off, lookup.unreflect(c.getAccessor())));
            } catch (IllegalAccessException e) {
                throw new BpfException("cannot access record component " + c.getName() + " of " + type.getName(), e);
            }
            off += codec.size();
            align = Math.max(align, a);
        }
        final int size = (int) ((off + align - 1) / align * align);
        final int alignment = align;
        final MethodHandle ctor;
        try {
            Constructor<R> k = type.getDeclaredConstructor(ctorTypes);
            k.setAccessible(true);
            ctor = lookup.unreflectConstructor(k);
        } catch (ReflectiveOperationException e) {
            throw new BpfException("record " + type.getName() + " has no canonical constructor", e);
        }
        return new Codec<>() {
            public int size() { return size; }
            public int alignment() { return alignment; }
            public void write(R v, MemorySegment dst, long base) {
                dst.asSlice(base, size).fill((byte) 0);
                try {
                    for (Field f : fields) f.codec().write(f.getter().invoke(v), dst, base + f.offset());
                } catch (RuntimeException e) {
                    throw e;
                } catch (Throwable t) {
                    throw new BpfException("encoding " + type.getSimpleName(), t);
                }
            }
            public R read(MemorySegment src, long base) {
                Object[] args = new Object[fields.size()];
                for (int i = 0; i < args.length; i++) args[i] = fields.get(i).codec().read(src, base + fields.get(i).offset());
                try {
                    return (R) ctor.invokeWithArguments(args);
                } catch (Throwable t) {
                    throw new BpfException("decoding " + type.getSimpleName(), t);
                }
            }
            public String toString() { return "Codec[" + type.getSimpleName() + " " + size + "B]"; }
        };
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Codec<Object> componentCodec(Class<?> owner, RecordComponent c) {
        Class<?> t = c.getType();
        ByteOrder order = c.isAnnotationPresent(Codec.BigEndian.class) ? ByteOrder.BIG_ENDIAN : ByteOrder.nativeOrder();
        if (t == byte.class) return primitive(ValueLayout.JAVA_BYTE);
        if (t == boolean.class) return primitive(ValueLayout.JAVA_BOOLEAN);
        if (t == short.class) return primitive(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(order));
        if (t == int.class) return primitive(ValueLayout.JAVA_INT_UNALIGNED.withOrder(order));
        if (t == long.class) return primitive(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(order));
        if (t == float.class) return primitive(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(order));
        if (t == double.class) return primitive(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(order));
        if (t == byte[].class) {
            Codec.Size s = c.getAnnotation(Codec.Size.class);
            if (s == null) throw new BpfException(owner.getSimpleName() + "." + c.getName() + ": byte[] components need @Codec.Size");
            return (Codec) Codec.bytes(s.value());
        }
        if (t.isRecord()) return (Codec) record((Class<? extends Record>) t);
        throw new BpfException(owner.getSimpleName() + "." + c.getName() + ": unsupported component type " + t.getName());
    }
}
